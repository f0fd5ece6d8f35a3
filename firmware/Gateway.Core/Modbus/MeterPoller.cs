namespace Iot.Gateway.Modbus
{
    /// <summary>
    /// Reads every point of a meter profile, one request per register kind when the points fit in one span.
    /// Results land in preallocated arrays indexed like profile.Points.
    /// </summary>
    public sealed class MeterPoller
    {
        private readonly ModbusRtuMaster _master;
        private readonly MeterProfile _profile;
        private readonly byte _slave;
        private readonly ushort[] _registers = new ushort[ModbusRtuMaster.MaxReadCount];

        /// <summary>Creates a poller for one meter on one bus.</summary>
        public MeterPoller(ModbusRtuMaster master, MeterProfile profile, byte slave)
        {
            _master = master;
            _profile = profile;
            _slave = slave;
            Values = new double[profile.Points.Length];
            Valid = new bool[profile.Points.Length];
        }

        /// <summary>Scaled values of the last poll, indexed like Profile.Points.</summary>
        public double[] Values { get; private set; }
        /// <summary>Which of Values were read successfully in the last poll.</summary>
        public bool[] Valid { get; private set; }
        /// <summary>Status of the last failed request, or Ok.</summary>
        public ModbusStatus LastStatus { get; private set; }
        /// <summary>The profile being polled.</summary>
        public MeterProfile Profile { get { return _profile; } }

        /// <summary>Polls the meter; returns true when every point was read.</summary>
        public bool Poll()
        {
            LastStatus = ModbusStatus.Ok;
            RegisterPoint[] points = _profile.Points;
            for (int i = 0; i < points.Length; i++) Valid[i] = false;

            bool all = PollKind(ModbusRtuMaster.ReadHoldingRegisters);
            all &= PollKind(ModbusRtuMaster.ReadInputRegisters);
            return all;
        }

        private bool PollKind(byte function)
        {
            RegisterPoint[] points = _profile.Points;
            int first = int.MaxValue;
            int last = -1;
            for (int i = 0; i < points.Length; i++)
            {
                if (points[i].Function != function) continue;
                if (points[i].Address < first) first = points[i].Address;
                int end = points[i].Address + points[i].Width - 1;
                if (end > last) last = end;
            }
            if (last < 0) return true;

            if (last - first + 1 <= ModbusRtuMaster.MaxReadCount)
            {
                ModbusStatus status = _master.ReadRegisters(_slave, function, first, last - first + 1, _registers);
                if (status != ModbusStatus.Ok)
                {
                    LastStatus = status;
                    return false;
                }
                bool all = true;
                for (int i = 0; i < points.Length; i++)
                {
                    if (points[i].Function == function) all &= Decode(i, points[i].Address - first);
                }
                return all;
            }

            bool ok = true;
            for (int i = 0; i < points.Length; i++)
            {
                if (points[i].Function != function) continue;
                ModbusStatus status = _master.ReadRegisters(_slave, function, points[i].Address, points[i].Width, _registers);
                if (status != ModbusStatus.Ok)
                {
                    LastStatus = status;
                    ok = false;
                    continue;
                }
                ok &= Decode(i, 0);
            }
            return ok;
        }

        private bool Decode(int pointIndex, int registerIndex)
        {
            RegisterPoint point = _profile.Points[pointIndex];
            double raw;
            if (!RegisterDecoder.TryDecode(_registers, registerIndex, point.Type, point.Order, out raw)) return false;
            Values[pointIndex] = raw * point.Scale + point.Offset;
            Valid[pointIndex] = true;
            return true;
        }
    }
}
