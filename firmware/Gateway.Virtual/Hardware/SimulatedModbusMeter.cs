using Iot.Gateway.Hardware;
using Iot.Gateway.Modbus;

namespace Iot.Gateway.Virtual.Hardware;

/// <summary>
/// A Modbus RTU meter on a simulated RS-485 line: it checks each request frame (slave, CRC, function 03/04)
/// and answers with a real response frame built from its register banks, which SetValue fills using the
/// meter profile's own register map (type, word order, scale). While Silent, it does not answer.
/// </summary>
public sealed class SimulatedModbusMeter : ISerialLink
{
    private readonly ushort[] _holding = new ushort[256];
    private readonly ushort[] _input = new ushort[256];
    private readonly byte[] _response = new byte[5 + 2 * ModbusRtuMaster.MaxReadCount];
    private readonly byte _slave;
    private int _pending;
    private int _readAt;

    public SimulatedModbusMeter(MeterProfile profile, byte slave)
    {
        Profile = profile;
        _slave = slave;
    }

    public MeterProfile Profile { get; }

    public int BaudRate => Profile.BaudRate;

    /// <summary>True while the meter does not answer (unplugged, broken, wrong wiring).</summary>
    public bool Silent { get; set; }

    /// <summary>Requests answered so far.</summary>
    public long Answered { get; private set; }

    /// <summary>Stores value into the registers of the profile's point, encoded as the real meter would.</summary>
    public void SetValue(RegisterPoint point, double value)
    {
        var bank = point.Function == ModbusRtuMaster.ReadInputRegisters ? _input : _holding;
        double raw = (value - point.Offset) / point.Scale;
        uint bits = point.Type switch
        {
            RegisterDataType.U16 => (uint)Math.Clamp(Math.Round(raw), 0, ushort.MaxValue),
            RegisterDataType.S16 => (uint)(ushort)(short)Math.Clamp(Math.Round(raw), short.MinValue, short.MaxValue),
            RegisterDataType.U32 => (uint)Math.Clamp(Math.Round(raw), 0, uint.MaxValue),
            RegisterDataType.S32 => (uint)(int)Math.Clamp(Math.Round(raw), int.MinValue, int.MaxValue),
            _ => BitConverter.SingleToUInt32Bits((float)raw),
        };
        if (point.Width == 1)
        {
            bank[point.Address] = (ushort)bits;
            return;
        }
        ushort high = (ushort)(bits >> 16), low = (ushort)bits;
        bank[point.Address] = point.Order == WordOrder.HighFirst ? high : low;
        bank[point.Address + 1] = point.Order == WordOrder.HighFirst ? low : high;
    }

    public void DiscardInput() => _pending = _readAt = 0;

    public void Write(byte[] buffer, int offset, int count)
    {
        _pending = _readAt = 0;
        if (Silent || count != 8 || buffer[offset] != _slave) return;
        var request = buffer.AsSpan(offset, 8);
        if (ModbusCrc.Compute(buffer, offset, 6) != (request[6] | (request[7] << 8))) return;
        byte function = request[1];
        int start = (request[2] << 8) | request[3];
        int n = (request[4] << 8) | request[5];
        var bank = function == ModbusRtuMaster.ReadHoldingRegisters ? _holding : function == ModbusRtuMaster.ReadInputRegisters ? _input : null;
        _response[0] = _slave;
        if (bank is null || n < 1 || n > ModbusRtuMaster.MaxReadCount || start + n > bank.Length)
        {
            _response[1] = (byte)(function | 0x80);
            _response[2] = bank is null ? (byte)1 : (byte)2; // illegal function / illegal data address
            _pending = ModbusCrc.Append(_response, 3);
            return;
        }
        _response[1] = function;
        _response[2] = (byte)(2 * n);
        for (int i = 0; i < n; i++)
        {
            _response[3 + 2 * i] = (byte)(bank[start + i] >> 8);
            _response[4 + 2 * i] = (byte)bank[start + i];
        }
        _pending = ModbusCrc.Append(_response, 3 + 2 * n);
        Answered++;
    }

    public int Read(byte[] buffer, int offset, int count, int timeoutMs)
    {
        int n = Math.Min(count, _pending - _readAt);
        if (n <= 0) return 0;
        Array.Copy(_response, _readAt, buffer, offset, n);
        _readAt += n;
        return n;
    }
}
