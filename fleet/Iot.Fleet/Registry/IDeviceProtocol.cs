namespace Iot.Fleet.Registry;

/// <summary>
/// A kind of device that is not a gateway on MQTT and is registered through <c>POST /api/devices</c> with its own
/// <c>protocol</c> (HJ 212 monitors). Its room registers it, so the registry stays below the protocols it lists.
/// </summary>
public interface IDeviceProtocol
{
    /// <summary>The <c>protocol</c> value of the request.</summary>
    string Protocol { get; }

    /// <summary>Adds the device (a refusal when the request does not hold), with what the audit may say about it: no secrets.</summary>
    RegisteredDevice Register(DeviceRequest request);
}

/// <summary>A device a protocol added, and its audit description.</summary>
public sealed record RegisteredDevice(Device Device, object Audit);
