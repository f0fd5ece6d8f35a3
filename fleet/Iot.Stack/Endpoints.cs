using System.Text.Json;
using System.Text.Json.Serialization;

namespace Iot.Stack;

/// <summary>The addresses `./iot up` started, written to .iot/endpoints.json for tools and people.</summary>
public sealed class Endpoints
{
    [JsonPropertyName("mqtt_host")] public string MqttHost { get; set; } = "127.0.0.1";
    [JsonPropertyName("mqtt_port")] public int MqttPort { get; set; }
    [JsonPropertyName("influx_url")] public string InfluxUrl { get; set; } = "";
    [JsonPropertyName("fleet_url")] public string? FleetUrl { get; set; }
    [JsonPropertyName("admin_token")] public string? AdminToken { get; set; }

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>Writes the file atomically so a reader never sees half of it.</summary>
    public void Write(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(this, Json));
        File.Move(temp, path, overwrite: true);
    }
}
