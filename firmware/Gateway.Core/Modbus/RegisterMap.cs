using System;

namespace Iot.Gateway.Modbus
{
    /// <summary>How a value is laid out in one or two 16-bit registers.</summary>
    public enum RegisterDataType
    {
        /// <summary>Unsigned 16-bit.</summary>
        U16 = 0,
        /// <summary>Signed 16-bit (two's complement).</summary>
        S16 = 1,
        /// <summary>Unsigned 32-bit over two registers.</summary>
        U32 = 2,
        /// <summary>Signed 32-bit over two registers.</summary>
        S32 = 3,
        /// <summary>IEEE-754 single over two registers.</summary>
        Float32 = 4
    }

    /// <summary>Order of the two registers of a 32-bit value (bytes inside a register are always big-endian).</summary>
    public enum WordOrder
    {
        /// <summary>High word first ("ABCD"), the Modbus convention.</summary>
        HighFirst = 0,
        /// <summary>Low word first ("CDAB"), common on Chinese meters.</summary>
        LowFirst = 1
    }

    /// <summary>One measured value of a meter: where it is, how it is encoded, and which wire channel it feeds.</summary>
    public sealed class RegisterPoint
    {
        /// <summary>Creates a point; value = raw * scale + offset.</summary>
        public RegisterPoint(int channel, byte function, int address, RegisterDataType type, WordOrder order, double scale, double offset)
        {
            if (function != ModbusRtuMaster.ReadHoldingRegisters && function != ModbusRtuMaster.ReadInputRegisters)
            {
                throw new ArgumentException("function must be 03 or 04");
            }
            Channel = channel;
            Function = function;
            Address = address;
            Type = type;
            Order = order;
            Scale = scale;
            Offset = offset;
        }

        /// <summary>Wire channel index (see Telemetry.Channel).</summary>
        public int Channel { get; private set; }
        /// <summary>03 (holding) or 04 (input).</summary>
        public byte Function { get; private set; }
        /// <summary>Zero-based register address as sent on the wire.</summary>
        public int Address { get; private set; }
        /// <summary>Encoding of the raw value.</summary>
        public RegisterDataType Type { get; private set; }
        /// <summary>Register order of 32-bit values.</summary>
        public WordOrder Order { get; private set; }
        /// <summary>Multiplier from raw value to the channel's unit.</summary>
        public double Scale { get; private set; }
        /// <summary>Added after scaling.</summary>
        public double Offset { get; private set; }

        /// <summary>Registers the value occupies.</summary>
        public int Width
        {
            get { return Type == RegisterDataType.U16 || Type == RegisterDataType.S16 ? 1 : 2; }
        }
    }

    /// <summary>A meter model: serial settings and the points to poll.</summary>
    public sealed class MeterProfile
    {
        /// <summary>Creates a profile.</summary>
        public MeterProfile(string model, byte defaultSlave, int baudRate, int warmUpSeconds, RegisterPoint[] points)
        {
            if (points == null || points.Length == 0) throw new ArgumentException("points");
            Model = model;
            DefaultSlave = defaultSlave;
            BaudRate = baudRate;
            WarmUpSeconds = warmUpSeconds;
            Points = points;
        }

        /// <summary>Model name for status and logs.</summary>
        public string Model { get; private set; }
        /// <summary>Factory slave address.</summary>
        public byte DefaultSlave { get; private set; }
        /// <summary>Factory baud rate (8N1).</summary>
        public int BaudRate { get; private set; }
        /// <summary>Seconds after power-up during which readings are flagged as warm-up.</summary>
        public int WarmUpSeconds { get; private set; }
        /// <summary>The values to read.</summary>
        public RegisterPoint[] Points { get; private set; }
    }
}
