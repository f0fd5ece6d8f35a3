using System;
using Iot.Contract;
using Iot.Gateway.Hardware;

namespace Iot.Gateway.Telemetry
{
    /// <summary>
    /// Watches the enclosure's tamper switch once a second: while it is open the window carries quality bit 16,
    /// and every opening or closing is reported once so that the gateway can publish a tamper event.
    /// </summary>
    public sealed class TamperMonitor
    {
        private readonly IDigitalInput _input;

        /// <summary>Creates a monitor; the state at creation counts as known (no event for it).</summary>
        public TamperMonitor(IDigitalInput input)
        {
            if (input == null) throw new ArgumentNullException("input");
            _input = input;
            IsOpen = input.IsOpen;
        }

        /// <summary>Whether the switch was open at the last Poll.</summary>
        public bool IsOpen { get; private set; }

        /// <summary>True when the last Poll saw the switch change.</summary>
        public bool Changed { get; private set; }

        /// <summary>Samples the switch; returns the quality bits for the current second (Tamper or 0).</summary>
        public int Poll()
        {
            bool open = _input.IsOpen;
            Changed = open != IsOpen;
            IsOpen = open;
            return open ? QualityBits.Tamper : 0;
        }
    }
}
