using System;
using Iot.Gateway.Hardware;

namespace Iot.Gateway.Modbus
{
    /// <summary>
    /// Modbus RTU master over one serial line: function codes 03, 04, 06 and 16, CRC-16/MODBUS,
    /// response checks, exception responses, timeouts, retries and the 3.5-character silence between frames.
    /// All buffers are allocated once; a transaction allocates nothing.
    /// </summary>
    public sealed class ModbusRtuMaster
    {
        /// <summary>Read holding registers.</summary>
        public const byte ReadHoldingRegisters = 0x03;
        /// <summary>Read input registers.</summary>
        public const byte ReadInputRegisters = 0x04;
        /// <summary>Write single register.</summary>
        public const byte WriteSingleRegister = 0x06;
        /// <summary>Write multiple registers.</summary>
        public const byte WriteMultipleRegisters = 0x10;

        /// <summary>Most registers one read may ask for (the protocol's limit).</summary>
        public const int MaxReadCount = 125;
        /// <summary>Most registers one write may carry (the protocol's limit).</summary>
        public const int MaxWriteCount = 123;

        private readonly ISerialLink _link;
        private readonly IClock _clock;
        private readonly int _responseTimeoutMs;
        private readonly int _attempts;
        private readonly int _silenceMs;
        private readonly byte[] _request = new byte[7 + 2 * MaxWriteCount + 2];
        private readonly byte[] _response = new byte[5 + 2 * MaxReadCount];
        private long _lastFrameEndMs;

        /// <summary>Creates a master; retries is the number of extra attempts after the first one.</summary>
        public ModbusRtuMaster(ISerialLink link, IClock clock, int responseTimeoutMs, int retries)
        {
            if (link == null) throw new ArgumentNullException("link");
            if (clock == null) throw new ArgumentNullException("clock");
            if (responseTimeoutMs <= 0) throw new ArgumentOutOfRangeException("responseTimeoutMs");
            if (retries < 0) throw new ArgumentOutOfRangeException("retries");
            _link = link;
            _clock = clock;
            _responseTimeoutMs = responseTimeoutMs;
            _attempts = retries + 1;
            _silenceMs = SilenceMs(link.BaudRate);
            _lastFrameEndMs = clock.MonotonicMs - _silenceMs;
        }

        /// <summary>Exception code of the last SlaveException (1 illegal function, 2 illegal address, 3 illegal value, 4 device failure...).</summary>
        public int LastExceptionCode { get; private set; }

        /// <summary>Number of attempts the last transaction took.</summary>
        public int LastAttempts { get; private set; }

        /// <summary>
        /// Inter-frame silence in whole milliseconds: 3.5 characters of 11 bits, and the fixed 1.75 ms
        /// the specification prescribes above 19200 baud (rounded up to 2).
        /// </summary>
        public static int SilenceMs(int baudRate)
        {
            if (baudRate <= 0) throw new ArgumentOutOfRangeException("baudRate");
            if (baudRate > 19200) return 2;
            int micros = (int)(38500000L / baudRate); // 3.5 chars * 11 bits * 1e6 us
            return (micros + 999) / 1000;
        }

        /// <summary>Builds a read request (function 03 or 04) into frame; returns its length including CRC.</summary>
        public static int BuildReadRequest(byte[] frame, byte slave, byte function, int start, int count)
        {
            frame[0] = slave;
            frame[1] = function;
            frame[2] = (byte)(start >> 8);
            frame[3] = (byte)start;
            frame[4] = (byte)(count >> 8);
            frame[5] = (byte)count;
            return ModbusCrc.Append(frame, 6);
        }

        /// <summary>Reads count registers (function 03 or 04) from start into registers[0..count).</summary>
        public ModbusStatus ReadRegisters(byte slave, byte function, int start, int count, ushort[] registers)
        {
            if ((function != ReadHoldingRegisters && function != ReadInputRegisters) || count < 1 || count > MaxReadCount
                || start < 0 || start + count > 0x10000 || registers == null || registers.Length < count || slave == 0)
            {
                return ModbusStatus.InvalidRequest;
            }

            int requestLength = BuildReadRequest(_request, slave, function, start, count);
            ModbusStatus status = Transact(requestLength, slave, function, 3 + 2 * count + 2);
            if (status != ModbusStatus.Ok) return status;
            if (_response[2] != 2 * count) return ModbusStatus.BadFrame;

            for (int i = 0; i < count; i++)
            {
                registers[i] = (ushort)((_response[3 + 2 * i] << 8) | _response[4 + 2 * i]);
            }
            return ModbusStatus.Ok;
        }

        /// <summary>Writes one holding register (function 06); the slave must echo the request.</summary>
        public ModbusStatus WriteRegister(byte slave, int address, ushort value)
        {
            if (address < 0 || address > 0xFFFF) return ModbusStatus.InvalidRequest;
            _request[0] = slave;
            _request[1] = WriteSingleRegister;
            _request[2] = (byte)(address >> 8);
            _request[3] = (byte)address;
            _request[4] = (byte)(value >> 8);
            _request[5] = (byte)value;
            int length = ModbusCrc.Append(_request, 6);
            ModbusStatus status = Transact(length, slave, WriteSingleRegister, 8);
            if (status != ModbusStatus.Ok) return status;
            for (int i = 2; i < 6; i++)
            {
                if (_response[i] != _request[i]) return ModbusStatus.BadFrame;
            }
            return ModbusStatus.Ok;
        }

        /// <summary>Writes values[0..count) to consecutive holding registers (function 16).</summary>
        public ModbusStatus WriteRegisters(byte slave, int start, ushort[] values, int count)
        {
            if (count < 1 || count > MaxWriteCount || values == null || values.Length < count || start < 0 || start + count > 0x10000)
            {
                return ModbusStatus.InvalidRequest;
            }
            _request[0] = slave;
            _request[1] = WriteMultipleRegisters;
            _request[2] = (byte)(start >> 8);
            _request[3] = (byte)start;
            _request[4] = (byte)(count >> 8);
            _request[5] = (byte)count;
            _request[6] = (byte)(2 * count);
            for (int i = 0; i < count; i++)
            {
                _request[7 + 2 * i] = (byte)(values[i] >> 8);
                _request[8 + 2 * i] = (byte)values[i];
            }
            int length = ModbusCrc.Append(_request, 7 + 2 * count);
            ModbusStatus status = Transact(length, slave, WriteMultipleRegisters, 8);
            if (status != ModbusStatus.Ok) return status;
            for (int i = 2; i < 6; i++)
            {
                if (_response[i] != _request[i]) return ModbusStatus.BadFrame;
            }
            return ModbusStatus.Ok;
        }

        private ModbusStatus Transact(int requestLength, byte slave, byte function, int expectedLength)
        {
            ModbusStatus status = ModbusStatus.Timeout;
            LastExceptionCode = 0;
            for (int attempt = 1; attempt <= _attempts; attempt++)
            {
                LastAttempts = attempt;
                WaitForSilence();
                _link.DiscardInput();
                _link.Write(_request, 0, requestLength);
                status = ReceiveResponse(slave, function, expectedLength);
                _lastFrameEndMs = _clock.MonotonicMs;

                // The slave answered definitively; asking again would get the same exception.
                if (status == ModbusStatus.Ok || status == ModbusStatus.SlaveException) return status;
            }
            return status;
        }

        private void WaitForSilence()
        {
            long quietFor = _clock.MonotonicMs - _lastFrameEndMs;
            if (quietFor < _silenceMs) _clock.Sleep((int)(_silenceMs - quietFor));
        }

        private ModbusStatus ReceiveResponse(byte slave, byte function, int expectedLength)
        {
            long deadline = _clock.MonotonicMs + _responseTimeoutMs;
            int received = 0;
            int needed = expectedLength;
            while (received < needed)
            {
                int remainingMs = (int)(deadline - _clock.MonotonicMs);
                if (remainingMs <= 0) return ModbusStatus.Timeout;
                int n = _link.Read(_response, received, needed - received, remainingMs);
                if (n <= 0) return ModbusStatus.Timeout;
                received += n;

                // An exception response is 5 bytes long whatever was asked.
                if (received >= 2 && (_response[1] & 0x80) != 0) needed = 5;
            }

            if (!ModbusCrc.IsValid(_response, needed)) return ModbusStatus.CrcError;
            if (_response[0] != slave) return ModbusStatus.WrongSlave;
            if (_response[1] == (byte)(function | 0x80))
            {
                LastExceptionCode = _response[2];
                return ModbusStatus.SlaveException;
            }
            if (_response[1] != function) return ModbusStatus.WrongFunction;
            return ModbusStatus.Ok;
        }
    }
}
