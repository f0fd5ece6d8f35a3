namespace Iot.Gateway.Hardware
{
    /// <summary>One digital input, such as the enclosure's tamper switch.</summary>
    public interface IDigitalInput
    {
        /// <summary>True when the contact is open (for the tamper switch: the lid is open).</summary>
        bool IsOpen { get; }
    }
}
