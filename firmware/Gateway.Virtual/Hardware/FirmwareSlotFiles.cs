using System.Text.Json;
using System.Text.Json.Serialization;
using Iot.Gateway.Hardware;

namespace Iot.Gateway.Virtual.Hardware;

/// <summary>
/// The virtual gateway's firmware slots as files in its state folder ({id}.firmware/): running.bin, previous.bin,
/// staging.bin and slots.json (versions, trial flag, boot count, the switch pending for the next boot). Boot plays
/// the boot loader: it applies a pending switch and counts boots on trial. A virtual firmware image is a small JSON
/// file saying what that firmware does when it runs (see VirtualFirmware).
/// </summary>
public sealed class FirmwareSlotFiles : IFirmwareSlots
{
    private readonly string _dir;
    private SlotState _state;

    private sealed class SlotState
    {
        [JsonPropertyName("running")] public string Running { get; set; } = VirtualFirmware.FactoryVersion;
        [JsonPropertyName("previous")] public string? Previous { get; set; }
        [JsonPropertyName("trial")] public bool InTrial { get; set; }
        [JsonPropertyName("trial_boots")] public int TrialBoots { get; set; }
        [JsonPropertyName("next")] public string? Next { get; set; }
        [JsonPropertyName("revert")] public bool Revert { get; set; }
    }

    public FirmwareSlotFiles(string directory, int stagingCapacity = 4 * 1024 * 1024)
    {
        _dir = directory;
        StagingCapacity = stagingCapacity;
        Directory.CreateDirectory(directory);
        _state = File.Exists(StatePath) ? JsonSerializer.Deserialize<SlotState>(File.ReadAllText(StatePath)) ?? new() : new();
        if (!File.Exists(Image("running"))) File.WriteAllBytes(Image("running"), VirtualFirmware.Factory());
    }

    private string StatePath => Path.Combine(_dir, "slots.json");
    private string Image(string slot) => Path.Combine(_dir, slot + ".bin");

    public string RunningVersion => _state.Running;
    public string? PreviousVersion => _state.Previous;
    public bool InTrial => _state.InTrial;
    public int TrialBoots => _state.TrialBoots;
    public int StagingCapacity { get; }
    public int StagedLength => File.Exists(Image("staging")) ? (int)new FileInfo(Image("staging")).Length : 0;

    /// <summary>The image running now (what the virtual firmware does).</summary>
    public byte[] RunningImage() => File.ReadAllBytes(Image("running"));

    /// <summary>The device starts: a pending switch takes effect, and a boot on trial is counted.</summary>
    public void Boot()
    {
        if (_state.Next is not null)
        {
            if (_state.Revert)
            {
                File.Copy(Image("previous"), Image("running"), overwrite: true);
                _state.Running = _state.Next;
                _state.Previous = null;
                _state.InTrial = false;
            }
            else
            {
                File.Copy(Image("running"), Image("previous"), overwrite: true);
                File.Move(Image("staging"), Image("running"), overwrite: true);
                _state.Previous = _state.Running;
                _state.Running = _state.Next;
                _state.InTrial = true;
            }
            _state.TrialBoots = 0;
            _state.Next = null;
            _state.Revert = false;
        }
        if (_state.InTrial) _state.TrialBoots++;
        Save();
    }

    public void EraseStaging() => File.Delete(Image("staging"));

    public void WriteStaging(byte[] buffer, int offset, int count)
    {
        if (StagedLength + count > StagingCapacity) throw new InvalidOperationException("the staging slot is full");
        using var file = new FileStream(Image("staging"), FileMode.Append, FileAccess.Write);
        file.Write(buffer, offset, count);
    }

    public void ReadStaging(int position, byte[] buffer, int offset, int count)
    {
        using var file = File.OpenRead(Image("staging"));
        file.Position = position;
        file.ReadExactly(buffer, offset, count);
    }

    public void Activate(string version)
    {
        _state.Next = version;
        _state.Revert = false;
        Save();
    }

    public void Confirm()
    {
        _state.InTrial = false;
        _state.TrialBoots = 0;
        Save();
    }

    public void Revert()
    {
        if (_state.Previous is null) return;
        _state.Next = _state.Previous;
        _state.Revert = true;
        Save();
    }

    private void Save()
    {
        string temp = StatePath + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(_state));
        File.Move(temp, StatePath, overwrite: true);
    }
}

/// <summary>
/// What a virtual firmware image does when it runs: a bundle file is JSON like
/// {"version":"1.5.0","behaviour":"ok"}, behaviour one of ok, crash_on_boot (restarts a few seconds after every
/// boot), no_sensor_data (cannot read its meter), no_connection (never reaches the broker). Anything else does not
/// boot (it behaves as crash_on_boot), like a corrupt image would.
/// </summary>
public static class VirtualFirmware
{
    public const string FactoryVersion = "1.0.0";
    public const string Ok = "ok";
    public const string CrashOnBoot = "crash_on_boot";
    public const string NoSensorData = "no_sensor_data";
    public const string NoConnection = "no_connection";

    /// <summary>The image every virtual gateway ships with.</summary>
    public static byte[] Factory() => Bundle(FactoryVersion, Ok);

    /// <summary>A virtual firmware bundle (what Iot.Gateway.Release publish --target virtual signs).</summary>
    public static byte[] Bundle(string version, string behaviour) =>
        JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["version"] = version, ["behaviour"] = behaviour });

    /// <summary>The behaviour of an image.</summary>
    public static string BehaviourOf(byte[] image)
    {
        try
        {
            using var doc = JsonDocument.Parse(image);
            string? behaviour = doc.RootElement.GetProperty("behaviour").GetString();
            return behaviour is Ok or CrashOnBoot or NoSensorData or NoConnection ? behaviour : CrashOnBoot;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return CrashOnBoot;
        }
    }
}
