using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using Iot.Fleet.Api;
using Iot.Fleet.Registry;
using Iot.Fleet.Storage;

namespace Iot.Fleet.Hj212;

/// <summary>A registered HJ 212 monitor: a device known by its MN.</summary>
public sealed record Hj212Monitor(string Device, string Mn, string PasswordSha256, string Profile)
{
    public bool PasswordMatches(string? pw) =>
        pw is not null && CryptographicOperations.FixedTimeEquals(Convert.FromHexString(PasswordSha256), SHA256.HashData(Encoding.UTF8.GetBytes(pw)));
}

/// <summary>HJ 212 monitors as devices: registered by POST /api/devices with protocol "hj212", found by MN.</summary>
public sealed class Hj212Monitors(FleetDatabase database, SiteRegistry registry, Hj212Profiles profiles)
{
    public const string Protocol = "hj212";

    /// <summary>Adds the device and its monitor row together; a bad MN, password or profile is a 400, a taken MN a 409.</summary>
    public Device Add(string id, string? site, string? mn, string? password, string? profile)
    {
        profile ??= "default";
        if (mn is null || mn.Length is < 14 or > 24 || !mn.All(char.IsAsciiLetterOrDigit))
            throw new RefusalException("an hj212 device needs `mn`: 14 to 24 letters and digits");
        if (string.IsNullOrEmpty(password) || password.Length > 32 || password.Contains(';') || password.Contains('='))
            throw new RefusalException("an hj212 device needs `password` (its PW): 1 to 32 characters, no ';' or '='");
        if (profiles.Find(profile) is null)
            throw new RefusalException($"no HJ 212 profile {profile} (known: {string.Join(", ", profiles.Names)})");
        return registry.AddDevice(id, site, (connection, tx) =>
        {
            if (connection.ExecuteScalar<long>("SELECT COUNT(*) FROM hj212_monitors WHERE mn = @mn", new { mn }, tx) > 0)
                throw new RefusalException($"MN {mn} belongs to another device", StatusCodes.Status409Conflict);
            connection.Execute("INSERT INTO hj212_monitors (dev, mn, password_sha256, profile, created_at) VALUES (@id, @mn, @pw, @profile, @now)",
                new { id, mn, pw = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(password))), profile, now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() }, tx);
        });
    }

    public Hj212Monitor? ByMn(string mn)
    {
        using var connection = database.Open();
        return connection.QueryFirstOrDefault<Hj212Monitor>(
            "SELECT dev AS Device, mn AS Mn, password_sha256 AS PasswordSha256, profile AS Profile FROM hj212_monitors WHERE mn = @mn", new { mn });
    }

    public Hj212Monitor? ByDevice(string device)
    {
        using var connection = database.Open();
        return connection.QueryFirstOrDefault<Hj212Monitor>(
            "SELECT dev AS Device, mn AS Mn, password_sha256 AS PasswordSha256, profile AS Profile FROM hj212_monitors WHERE dev = @device", new { device });
    }
}
