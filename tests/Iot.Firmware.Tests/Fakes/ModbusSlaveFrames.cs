using Iot.Gateway.Modbus;

namespace Iot.Firmware.Tests.Fakes;

/// <summary>Builds the frames a Modbus slave would send.</summary>
public static class ModbusSlaveFrames
{
    public static byte[] ReadResponse(byte slave, byte function, params ushort[] registers)
    {
        var frame = new byte[3 + 2 * registers.Length + 2];
        frame[0] = slave;
        frame[1] = function;
        frame[2] = (byte)(2 * registers.Length);
        for (int i = 0; i < registers.Length; i++)
        {
            frame[3 + 2 * i] = (byte)(registers[i] >> 8);
            frame[4 + 2 * i] = (byte)registers[i];
        }
        ModbusCrc.Append(frame, frame.Length - 2);
        return frame;
    }

    public static byte[] Exception(byte slave, byte function, byte code)
    {
        var frame = new byte[] { slave, (byte)(function | 0x80), code, 0, 0 };
        ModbusCrc.Append(frame, 3);
        return frame;
    }

    public static byte[] WithCrc(params byte[] body)
    {
        var frame = new byte[body.Length + 2];
        body.CopyTo(frame, 0);
        ModbusCrc.Append(frame, body.Length);
        return frame;
    }
}
