using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using Iot.Hj212;
using Iot.Fleet.Api;
using Iot.Fleet.Registry;
using Iot.Fleet.Storage;

namespace Iot.Fleet.Hj212;

/// <summary>A registered HJ 212 monitor: a device known by its MN, with its own SM4 key when it encrypts CPs (2025 §6.4).</summary>
public sealed record Hj212Monitor(string Device, string Mn, string PasswordSha256, string Profile, string? Sm4Key)
{
    /// <summary>How this monitor speaks: its profile's dialect, with the monitor's own SM4 key over the profile's.</summary>
    public Hj212Dialect DialectIn(Hj212Profile profile) =>
        Sm4Key is { Length: > 0 } key ? profile.Dialect with { CpCipher = Hj212Sm4Cipher.FromText(key) } : profile.Dialect;

    // A record prints its members; the key is a secret and stays out of logs.
    public override string ToString() => $"Hj212Monitor {{ Device = {Device}, Mn = {Mn}, Profile = {Profile}, Encrypted = {Sm4Key is not null} }}";

    public bool PasswordMatches(string? pw) =>
        pw is not null && CryptographicOperations.FixedTimeEquals(Convert.FromHexString(PasswordSha256), SHA256.HashData(Encoding.UTF8.GetBytes(pw)));
}

/// <summary>HJ 212 monitors as devices: registered by POST /api/devices with protocol "hj212", found by MN.</summary>
public sealed class Hj212Monitors(FleetDatabase database, SiteRegistry registry, Hj212Profiles profiles) : IDeviceProtocol
{
    public const string Protocol = "hj212";

    string IDeviceProtocol.Protocol => Protocol;

    /// <summary>POST /api/devices with protocol hj212. The audit says whether the monitor encrypts, never the key.</summary>
    public RegisteredDevice Register(DeviceRequest request)
    {
        var monitor = Add(request.Id, request.Site, request.Mn, request.Password, request.Profile, request.Sm4Key);
        return new RegisteredDevice(monitor, new
        {
            monitor.Id, monitor.Site, protocol = Protocol, request.Mn, profile = request.Profile ?? "default", encrypted = request.Sm4Key is not null,
        });
    }

    /// <summary>Adds the device and its monitor row together; a bad MN, password, SM4 key or profile is a 400, a taken MN a 409.</summary>
    public Device Add(string id, string? site, string? mn, string? password, string? profile, string? sm4Key = null)
    {
        if (Problems(mn, password, profile, sm4Key).FirstOrDefault() is { Message: { } problem }) throw new RefusalException(problem);
        return registry.AddDevice(id, site, (connection, tx) => Insert(connection, tx, id, mn!, password!, profile, sm4Key));
    }

    /// <summary>What is wrong with a monitor's registration, by field (the API's and the import's one check).</summary>
    public IEnumerable<(string Column, string Message)> Problems(string? mn, string? password, string? profile, string? sm4Key)
    {
        if (mn is null || mn.Length is < 14 or > 24 || !mn.All(char.IsAsciiLetterOrDigit))
            yield return ("mn", "an hj212 device needs `mn`: 14 to 24 letters and digits");
        if (string.IsNullOrEmpty(password) || password.Length > 32 || password.Contains(';') || password.Contains('='))
            yield return ("password", "an hj212 device needs `password` (its PW): 1 to 32 characters, no ';' or '='");
        if (sm4Key is not null && (sm4Key.Length != 32 || !sm4Key.All(char.IsAsciiHexDigit)))
            yield return ("sm4Key", "`sm4Key` is the monitor's SM4 key as 32 hex digits (16 bytes)");
        if (profiles.Find(profile ?? "default") is null)
            yield return ("profile", $"no HJ 212 profile {profile} (known: {string.Join(", ", profiles.Names)})");
    }

    /// <summary>The monitor row of a device inserted in the same transaction; a taken MN is a 409.</summary>
    public static void Insert(DbConnection connection, DbTransaction tx, string id, string mn, string password, string? profile, string? sm4Key)
    {
        if (connection.ExecuteScalar<long>("SELECT COUNT(*) FROM hj212_monitors WHERE mn = @mn", new { mn }, tx) > 0)
            throw new RefusalException($"MN {mn} belongs to another device", StatusCodes.Status409Conflict);
        connection.Execute("INSERT INTO hj212_monitors (dev, mn, password_sha256, profile, sm4_key, created_at) VALUES (@id, @mn, @pw, @profile, @sm4Key, @now)",
            new { id, mn, sm4Key = sm4Key?.ToUpperInvariant(), pw = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(password))), profile = profile ?? "default",
                now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() }, tx);
    }

    public Hj212Monitor? ByMn(string mn)
    {
        using var connection = database.Open();
        return connection.QueryFirstOrDefault<Hj212Monitor>(
            "SELECT dev AS Device, mn AS Mn, password_sha256 AS PasswordSha256, profile AS Profile, sm4_key AS Sm4Key FROM hj212_monitors WHERE mn = @mn", new { mn });
    }

    /// <summary>DataTime (Unix seconds) of the monitor's latest stored minute (2051), or null: where a reconnected monitor's
    /// gap starts. Walks the (dev, seq) index from the newest; seq orders by time within a command.</summary>
    public long? LatestMinute(string device)
    {
        using var connection = database.Open();
        return connection.ExecuteScalar<long?>("SELECT t FROM records WHERE dev = @device AND seq % @slots = @slot ORDER BY seq DESC LIMIT 1",
            new { device, slots = Hj212Profiles.SeqSlots, slot = Hj212Profiles.SlotOf(Hj212Commands.MinuteData) });
    }

    public Hj212Monitor? ByDevice(string device)
    {
        using var connection = database.Open();
        return connection.QueryFirstOrDefault<Hj212Monitor>(
            "SELECT dev AS Device, mn AS Mn, password_sha256 AS PasswordSha256, profile AS Profile, sm4_key AS Sm4Key FROM hj212_monitors WHERE dev = @device", new { device });
    }
}
