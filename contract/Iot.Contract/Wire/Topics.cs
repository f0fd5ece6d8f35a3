namespace Iot.Contract
{
    /// <summary>
    /// The MQTT topics of wire protocol v1: everything a device sends or receives lives under
    /// <c>iot/v1/{id}/</c> followed by one of the suffixes below. The only place they are spelled.
    /// </summary>
    public static class Topics
    {
        /// <summary>Root of every device's topics.</summary>
        public const string Root = "iot/v1";
        /// <summary>Minute records, device to fleet (QoS 1).</summary>
        public const string Telemetry = "telemetry";
        /// <summary>
        /// Minute records sent late from the device's store (an envelope whose oldest record carries the backfill bit),
        /// device to fleet (QoS 1); the same envelope as <see cref="Telemetry"/>. A project topic beside wire protocol v1
        /// (contract/README.md): the fleet reads it through a session of its own, so live records never queue behind a
        /// city's backfill in the broker. The fleet still takes backfill on <see cref="Telemetry"/> from gateways that
        /// do not use it.
        /// </summary>
        public const string Backfill = "backfill";
        /// <summary>Events, device to fleet (QoS 1).</summary>
        public const string Event = "event";
        /// <summary>Status, device to fleet (retained).</summary>
        public const string Status = "status";
        /// <summary>Configuration, fleet to device (retained, project-defined).</summary>
        public const string Config = "config";
        /// <summary>Commands such as an OTA job, fleet to device (project-defined).</summary>
        public const string Command = "cmd";
        /// <summary>Answers to commands, device to fleet (project-defined).</summary>
        public const string Ack = "ack";
        /// <summary>Prefix of the provisioning exchange, the only topics an unclaimed device may use.</summary>
        public const string Provisioning = "prov";
        /// <summary>A claimed device asks for its own broker login (unclaimed device to fleet).</summary>
        public const string ProvisioningHello = Provisioning + "/hello";
        /// <summary>The fleet answers with the login (fleet to unclaimed device).</summary>
        public const string ProvisioningCredentials = Provisioning + "/credentials";

        /// <summary>The topic <c>iot/v1/{device}/{suffix}</c>.</summary>
        public static string For(string device, string suffix)
        {
            return Root + "/" + device + "/" + suffix;
        }

        /// <summary>The filter <c>iot/v1/+/{suffix}</c> matching that suffix of every device.</summary>
        public static string EveryDevice(string suffix)
        {
            return Root + "/+/" + suffix;
        }

        /// <summary>The filter <c>iot/v1/{device}/#</c>: everything of one device (its broker account's room).</summary>
        public static string AllOf(string device)
        {
            return Root + "/" + device + "/#";
        }

        /// <summary>The device id and suffix of a topic <c>iot/v1/{id}/{suffix}</c>; false for any other topic.</summary>
        public static bool TryParse(string topic, out string device, out string suffix)
        {
            device = "";
            suffix = "";
            if (topic == null || topic.Length <= Root.Length + 1 || !topic.StartsWith(Root) || topic[Root.Length] != '/') return false;
            int start = Root.Length + 1;
            int slash = topic.IndexOf('/', start);
            if (slash <= start || slash == topic.Length - 1) return false;
            device = topic.Substring(start, slash - start);
            suffix = topic.Substring(slash + 1);
            return true;
        }
    }

    /// <summary>The topics of one device, built once at start-up so the firmware's loop allocates no strings.</summary>
    public sealed class DeviceTopics
    {
        /// <summary>Builds the topics under iot/v1/{dev}/.</summary>
        public DeviceTopics(string dev)
        {
            Telemetry = Topics.For(dev, Topics.Telemetry);
            Backfill = Topics.For(dev, Topics.Backfill);
            Event = Topics.For(dev, Topics.Event);
            Status = Topics.For(dev, Topics.Status);
            Config = Topics.For(dev, Topics.Config);
            Command = Topics.For(dev, Topics.Command);
            Ack = Topics.For(dev, Topics.Ack);
            ProvisioningHello = Topics.For(dev, Topics.ProvisioningHello);
            ProvisioningCredentials = Topics.For(dev, Topics.ProvisioningCredentials);
        }

        /// <summary>iot/v1/{id}/telemetry</summary>
        public string Telemetry { get; private set; }
        /// <summary>iot/v1/{id}/backfill</summary>
        public string Backfill { get; private set; }
        /// <summary>iot/v1/{id}/event</summary>
        public string Event { get; private set; }
        /// <summary>iot/v1/{id}/status (retained)</summary>
        public string Status { get; private set; }
        /// <summary>iot/v1/{id}/config (retained, fleet to device)</summary>
        public string Config { get; private set; }
        /// <summary>iot/v1/{id}/cmd</summary>
        public string Command { get; private set; }
        /// <summary>iot/v1/{id}/ack</summary>
        public string Ack { get; private set; }
        /// <summary>iot/v1/{id}/prov/hello (unclaimed device to fleet)</summary>
        public string ProvisioningHello { get; private set; }
        /// <summary>iot/v1/{id}/prov/credentials (fleet to unclaimed device: its own broker login)</summary>
        public string ProvisioningCredentials { get; private set; }
    }
}
