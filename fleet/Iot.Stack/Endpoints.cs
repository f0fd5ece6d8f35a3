using System.Text.Json;
using System.Text.Json.Serialization;

namespace Iot.Stack;

/// <summary>The addresses `./iot up` started, written to .iot/endpoints.json for tools and people.</summary>
public sealed class Endpoints
{
    [JsonPropertyName("mqtt_host")] public string MqttHost { get; set; } = "127.0.0.1";
    /// <summary>Plain TCP, loopback only: for local tools and tests.</summary>
    [JsonPropertyName("mqtt_port")] public int MqttPort { get; set; }
    /// <summary>TLS for devices (server certificate signed by <see cref="MqttCa"/>); null when TLS is off.</summary>
    [JsonPropertyName("mqtt_tls_port")] public int? MqttTlsPort { get; set; }
    /// <summary>Path of the project CA certificate (PEM) that TLS clients trust.</summary>
    [JsonPropertyName("mqtt_ca")] public string? MqttCa { get; set; }
    [JsonPropertyName("influx_url")] public string InfluxUrl { get; set; } = "";
    [JsonPropertyName("fleet_url")] public string? FleetUrl { get; set; }
    /// <summary>The fleet's HJ 212 receiver: plain TCP on loopback, for third-party monitors and their simulators.</summary>
    [JsonPropertyName("hj212_port")] public int? Hj212Port { get; set; }
    /// <summary>The fleet's database under `./iot up --db postgres` (the password is in .iot/postgres/password); null on SQLite.</summary>
    [JsonPropertyName("postgres_url")] public string? PostgresUrl { get; set; }
    [JsonPropertyName("admin_token")] public string? AdminToken { get; set; }

    /// <summary>Password of the person `admin`, as the fleet was first started with (the pages' sign-in).</summary>
    [JsonPropertyName("admin_password")] public string? AdminPassword { get; set; }

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>Writes the file atomically so a reader never sees half of it, readable by its owner only (it holds the admin token).</summary>
    public void Write(string path) => PrivateFile.Write(path, JsonSerializer.Serialize(this, Json));
}
