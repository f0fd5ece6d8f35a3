namespace Iot.Contract
{
    /// <summary>Event types of wire protocol v1 ("type" of an event); the fleet adds its own, which contain a dot.</summary>
    public static class EventType
    {
        /// <summary>The gateway started.</summary>
        public const string Boot = "boot";
        /// <summary>The tamper switch opened or closed.</summary>
        public const string Tamper = "tamper";
        /// <summary>A sensor stopped answering or reported a fault.</summary>
        public const string SensorFault = "sensor_fault";
        /// <summary>The clock was set or lost synchronisation.</summary>
        public const string Clock = "clock";
        /// <summary>A configuration was applied or refused.</summary>
        public const string ConfigApplied = "config_applied";
        /// <summary>Over-the-air update progress.</summary>
        public const string Ota = "ota";
        /// <summary>Project-defined: the main loop's step failed (an exception) or works again.</summary>
        public const string Fault = "fault";
    }
}
