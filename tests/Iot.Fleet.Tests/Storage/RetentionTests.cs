using System.IO.Compression;
using System.Net.Http.Json;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Dapper;
using Iot.Evidence;
using Iot.Fleet.Operations;
using Iot.Fleet.Rules;
using Iot.Fleet.Storage;
using Iot.Fleet.Tests.People;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit;

namespace Iot.Fleet.Tests.Storage;

/// <summary>The retention trim deletes old bulk readings but never what a lead's evidence rests on: a trimmed period
/// still yields a bundle that verifies offline, the same as before the trim.</summary>
public sealed class RetentionTests
{
    private const string Device = "GW-RET-1", Idle = "GW-RET-2";

    /// <summary>Six hours of one-minute records 200 days ago from two devices of a site, each record in its own raw
    /// message, and an enforcement lead of the first device over 15 minutes in the middle.</summary>
    private static (long Lead, long Start) Seed(FleetApp fleet, string site, DateTimeOffset now)
    {
        var start = (now.AddDays(-200).ToUnixTimeSeconds() / 3600) * 3600;
        using var db = fleet.Database();
        using var tx = db.BeginTransaction();
        long seq = 0, maxRow = 0;
        foreach (var dev in new[] { Device, Idle })
            for (var t = start; t < start + 6 * 3600; t += 60)
            {
                var m = "{\"laeq\":" + ((t / 60) % 17 + 50) + "}";
                var payload = "{\"v\":1,\"dev\":\"" + dev + "\",\"recs\":[{\"seq\":" + ++seq + ",\"t\":" + t + ",\"dur\":60,\"q\":0,\"m\":" + m + "}]}";
                var message = db.ExecuteScalar<long>(
                    // The journal numbers raw messages itself (RecordJournal), so on PostgreSQL the id has no default.
                    "INSERT INTO messages (id, topic, payload, received_at) VALUES ((SELECT COALESCE(MAX(id), 0) + 1 FROM messages), @topic, @payload, @at) RETURNING id",
                    new { topic = $"iot/v1/{dev}/telemetry", payload = System.Text.Encoding.UTF8.GetBytes(payload), at = (t + 61) * 1000 }, tx);
                maxRow = db.ExecuteScalar<long>(
                    """
                    INSERT INTO records (dev, seq, t, dur, q, m, fw, site, message_id, received_at)
                    VALUES (@dev, @seq, @t, 60, 0, @m, '1.0.0', @site, @message, @at) RETURNING row_id
                    """, new { dev, seq, t, m, site, message, at = (t + 61) * 1000 }, tx);
            }
        var leadStart = start / 60 + 150;
        var lead = db.ExecuteScalar<long>(
            """
            INSERT INTO leads (queue, rule, site, devices, start_minute, end_minute, window_minutes, value, lim, unit, late, status, raised_at, updated_at, profile, detail, profile_version)
            VALUES ('enforcement', 'noise.day', @site, @devices, @leadStart, @leadEnd, 15, 72.5, 70, 'dB(A)', 0, 'new', @raised, @raised, 'default', NULL, 1) RETURNING id
            """, new { site, devices = $"[\"{Device}\"]", leadStart, leadEnd = leadStart + 10, raised = (leadStart + 30) * 60_000 }, tx);
        // The rules and the InfluxDB writer have passed every record.
        db.Execute("INSERT INTO cursors (name, value) VALUES ('rules', @maxRow), ('influx', @maxRow) ON CONFLICT (name) DO UPDATE SET value = excluded.value", new { maxRow }, tx);
        tx.Commit();
        return (lead, start);
    }

    private static async Task<(byte[] Zip, VerifyResult Verdict, int Readings)> Export(HttpClient http, long lead, byte[] key)
    {
        var answer = await http.GetAsync($"/api/leads/{lead}/evidence.zip");
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        var zip = await answer.Content.ReadAsByteArrayAsync();
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(zip)), answer.Headers.GetValues("X-Evidence-Sha256").Single());
        using var archive = new ZipArchive(new MemoryStream(zip));
        using var reader = new StreamReader(archive.GetEntry("readings.csv")!.Open());
        var readings = reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries).Length - 1;
        return (zip, BundleVerifier.Verify(new MemoryStream(zip), new VerifyOptions([key])), readings);
    }

    [Fact]
    public async Task A_trimmed_period_still_yields_the_same_verifiable_bundle_and_everything_else_old_is_gone()
    {
        using var fleet = new FleetApp();
        using var admin = fleet.WithAdminToken();
        var site = FleetApp.SiteId();
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/sites", new { id = site, name = "Night crane", kind = "noise" })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/devices", new { id = Device, site })).StatusCode);
        var now = DateTimeOffset.UtcNow;
        var (lead, _) = Seed(fleet, site, now);
        var key = Convert.FromBase64String((string)(await admin.GetFromJsonAsync<JsonObject>("/api/evidence/key"))!["current"]!["publicKey"]!);

        var before = await Export(admin, lead, key);
        Assert.True(before.Verdict.Holds, string.Join("\n", before.Verdict.Checks));
        Assert.Equal(25 + 2 * 60, before.Readings); // the lead's 25 minutes and an hour either side

        // The raw messages are in compressed segments by now (the compactor moves them after ten minutes).
        var raw = fleet.Services.GetRequiredService<RawMessageStore>();
        raw.Compact(now);
        var trim = fleet.Services.GetRequiredService<RetentionTrim>();
        // On by default: a 14-day hot journal. What goes is every record but the lead's evidence and each device's newest
        // (the offline watch and the gap fetch start from it).
        var result = trim.Trim(now, fleet.Services.GetRequiredService<IOptions<RetentionOptions>>().Value);
        Assert.Equal(2 * 360 - before.Readings - 2, result.Records);
        using (var db = fleet.Database())
        {
            Assert.Equal(before.Readings + 2, db.ExecuteScalar<long>("SELECT COUNT(*) FROM records WHERE dev IN (@Device, @Idle)", new { Device, Idle }));
            Assert.Equal(1, db.ExecuteScalar<long>("SELECT COUNT(*) FROM records WHERE dev = @Idle", new { Idle }));
            // Every record left still has its raw message, byte for byte where it was stored.
            var kept = db.Query<long>("SELECT message_id FROM records WHERE dev IN (@Device, @Idle)", new { Device, Idle }).ToList();
            Assert.Equal(kept.Count, raw.Get(kept).Count);
            Assert.Equal(0, db.ExecuteScalar<long>("SELECT COUNT(*) FROM messages WHERE topic LIKE 'iot/v1/GW-RET-%'"));
        }

        var after = await Export(admin, lead, key);
        Assert.True(after.Verdict.Holds, string.Join("\n", after.Verdict.Checks));
        Assert.Equal(before.Readings, after.Readings);
        using (var a = new ZipArchive(new MemoryStream(before.Zip)))
        using (var b = new ZipArchive(new MemoryStream(after.Zip)))
            foreach (var name in new[] { "readings.csv", "messages/index.csv" })
                Assert.Equal(new StreamReader(a.GetEntry(name)!.Open()).ReadToEnd(), new StreamReader(b.GetEntry(name)!.Open()).ReadToEnd());

        // A second trim finds nothing more; a lead past its evidence years no longer holds its readings, nor their raw
        // messages: only the blocks of the two newest records stay.
        Assert.Equal(0, trim.Trim(now, new RetentionOptions { ReadingsDays = 30, EvidenceYears = 10 }).Records);
        var late = trim.Trim(now.AddYears(11), new RetentionOptions { ReadingsDays = 30, EvidenceYears = 10 });
        Assert.Equal(before.Readings, late.Records);
        Assert.True(late.Messages >= RawMessageStore.BlockMessages, $"{late.Messages} raw messages dropped");
        using (var db = fleet.Database())
        {
            var newest = db.Query<long>("SELECT message_id FROM records WHERE dev IN (@Device, @Idle)", new { Device, Idle }).ToList();
            Assert.Equal(2, newest.Count);
            Assert.Equal(2, raw.Get(newest).Count);
        }

        // Every export and the trim are in the audit log: who, and the digest of what they took away.
        var exports = (await admin.GetFromJsonAsync<JsonObject>($"/api/audit?action=evidence.export&subject=lead:{lead}"))!["items"]!.AsArray();
        Assert.Equal(2, exports.Count);
        Assert.All(exports, e => Assert.Equal("admin-token", (string)e!["actor"]!));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(after.Zip)), (string)exports[0]!["after"]!["bundle_sha256"]!);
        Assert.Equal(2, (await admin.GetFromJsonAsync<JsonObject>("/api/audit?action=retention.trim"))!["items"]!.AsArray().Count);
    }

    [Fact]
    public void Retention_options_are_checked()
    {
        var check = new RetentionOptionsValidation();
        Assert.True(check.Validate(null, new RetentionOptions()).Succeeded);
        Assert.Equal(10, new RetentionOptions().EvidenceYears);
        Assert.Equal(14, new RetentionOptions().ReadingsDays);
        Assert.True(check.Validate(null, new RetentionOptions { ReadingsDays = 0 }).Succeeded);
        Assert.Contains("Retention:ReadingsDays", check.Validate(null, new RetentionOptions { ReadingsDays = 6 }).FailureMessage);
        Assert.Contains("Retention:EvidenceYears", check.Validate(null, new RetentionOptions { EvidenceYears = 0 }).FailureMessage);
    }
}
