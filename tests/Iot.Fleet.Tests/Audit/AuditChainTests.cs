using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using Iot.Evidence;
using Iot.Fleet.Audit;
using Iot.Fleet.Storage;
using Iot.Fleet.Tests.Evidence;
using Iot.Fleet.Tests.People;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Iot.Fleet.Tests.Audit;

/// <summary>The audit log as a hash chain: every entry linked, a row edited or deleted behind the triggers' back found at
/// its entry, the head signed daily and printed in the monthly report. Each test has its own fleet: they tamper with it.</summary>
public sealed class AuditChainTests
{
    private static async Task<long> Writes(FleetApp fleet, int sites)
    {
        using var admin = fleet.WithAdminToken();
        for (var i = 0; i < sites; i++)
            Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/sites", new { id = FleetApp.SiteId(), name = $"Site {i}", kind = "noise" })).StatusCode);
        using var db = fleet.Database();
        return db.ExecuteScalar<long>("SELECT COUNT(*) FROM audit_log");
    }

    private static async Task<JsonNode> Verify(FleetApp fleet)
    {
        using var admin = fleet.WithAdminToken();
        var answer = await admin.GetAsync("/api/audit/verify");
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        return await FleetApp.Body(answer);
    }

    /// <summary>What someone with the database's owner rights types to drop a trigger (PostgreSQL names its table).</summary>
    private static string DropTrigger(string trigger, string table) =>
        Iot.Testing.TestDatabase.IsPostgres ? $"DROP TRIGGER {trigger} ON {table}" : $"DROP TRIGGER {trigger}";

    [Fact]
    public async Task Every_entry_is_linked_and_an_edited_row_is_found_at_its_entry()
    {
        using var fleet = new FleetApp();
        var count = await Writes(fleet, 6);
        var good = await Verify(fleet);
        Assert.True((bool)good["holds"]!, good.ToJsonString());
        Assert.Equal(count, (long)good["head"]!["entries"]!);
        using (var db = fleet.Database())
        {
            Assert.Equal(count, db.ExecuteScalar<long>("SELECT COUNT(*) FROM audit_chain"));
            Assert.Equal((string)good["head"]!["hash"]!, db.ExecuteScalar<string>("SELECT hash FROM audit_chain ORDER BY entry DESC LIMIT 1"));
            // The triggers still refuse an edit; someone with the file drops them first.
            Assert.ThrowsAny<System.Data.Common.DbException>(() => db.Execute("UPDATE audit_log SET note = 'x' WHERE id = 3"));
            Assert.ThrowsAny<System.Data.Common.DbException>(() => db.Execute("DELETE FROM audit_chain WHERE entry = 3"));
            db.Execute(DropTrigger("audit_log_no_update", "audit_log"));
            db.Execute("UPDATE audit_log SET subject = 'site:NOT-THIS-ONE' WHERE id = 4");
        }
        var edited = await Verify(fleet);
        Assert.False((bool)edited["holds"]!);
        Assert.Equal(4, (long)edited["firstBreak"]!["entry"]!);
        Assert.Contains("edited", (string)edited["firstBreak"]!["reason"]!);
        Assert.Equal(1, (long)edited["breaks"]!);
    }

    [Fact]
    public async Task A_deleted_row_is_found_at_its_entry_and_a_row_deleted_with_its_link_at_the_next()
    {
        using var fleet = new FleetApp();
        await Writes(fleet, 6);
        using (var db = fleet.Database())
        {
            db.Execute(DropTrigger("audit_log_no_delete", "audit_log"));
            db.Execute("DELETE FROM audit_log WHERE id = 5");
        }
        var deleted = await Verify(fleet);
        Assert.Equal(5, (long)deleted["firstBreak"]!["entry"]!);
        Assert.Contains("deleted", (string)deleted["firstBreak"]!["reason"]!);

        using var other = new FleetApp();
        await Writes(other, 6);
        using (var db = other.Database())
        {
            db.Execute(DropTrigger("audit_log_no_delete", "audit_log") + "; " + DropTrigger("audit_chain_no_delete", "audit_chain"));
            db.Execute("DELETE FROM audit_log WHERE id = 3; DELETE FROM audit_chain WHERE entry = 3");
        }
        var both = await Verify(other);
        Assert.Equal(4, (long)both["firstBreak"]!["entry"]!);
        Assert.Contains("entries 3…3 were deleted", (string)both["firstBreak"]!["reason"]!);
    }

    [Fact]
    public void Entries_written_before_the_chain_are_linked_in_order_at_the_next_start()
    {
        var folder = Directory.CreateTempSubdirectory("iot-chain-").FullName;
        try
        {
            var database = new FleetDatabase(Iot.Testing.TestDatabase.For(folder));
            database.Migrate();
            using var connection = database.Open();
            // As migration 4's log held them: rows without links.
            for (var i = 1; i <= 3; i++)
                connection.Execute("INSERT INTO audit_log (at, actor, actor_kind, action, subject, before, after, note) VALUES (@i, 'li.wei', 'person', 'site.create', @s, NULL, '{}', NULL)",
                    new { i, s = $"site:S{i}" });
            var unlinked = AuditChain.Verify(connection);
            Assert.False(unlinked.Holds);
            Assert.Equal(1, unlinked.FirstBreak!.Entry);
            using (var tx = connection.BeginTransaction())
            {
                Assert.Equal(3, AuditChain.LinkPending(connection, tx));
                tx.Commit();
            }
            var linked = AuditChain.Verify(connection);
            Assert.True(linked.Holds);
            Assert.Equal(3, linked.Head.Entries);
            // The first link by hand: SHA-256(32 zero bytes || canonical entry).
            var first = AuditChainHash.Link(AuditChainHash.Genesis, AuditChainHash.Canonical(1, 1, "li.wei", "person", "site.create", "site:S1", null, "{}", null));
            Assert.Equal(first, connection.ExecuteScalar<string>("SELECT hash FROM audit_chain WHERE entry = 1"));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task The_head_is_signed_daily_and_printed_in_the_monthly_report()
    {
        using var fleet = new FleetApp();
        var count = await Writes(fleet, 2);
        var export = fleet.Services.GetRequiredService<AuditHeadExport>();
        var path = export.WriteToday();
        Assert.Matches(@"audit-head-\d{4}-\d{2}-\d{2}\.json$", path);
        var head = JsonNode.Parse(File.ReadAllText(path))!;
        Assert.Equal(count, (long)head["entries"]!);
        using var admin = fleet.WithAdminToken();
        var keys = (await admin.GetFromJsonAsync<JsonObject>("/api/evidence/key"))!;
        var key = Convert.FromBase64String((string)keys["current"]!["publicKey"]!);
        Assert.All(Iot.Evidence.EvidenceCli.VerifySigned(File.ReadAllBytes(path), Path.GetFileName(path), File.ReadAllBytes(path + ".sig"), [key]), c => Assert.True(c.Holds, c.Detail));
        var (code, output) = SignedBundleTests.Cli("verify-signed", path, "--key", (string)keys["current"]!["publicKey"]!);
        Assert.True(code == 0, output);
        File.WriteAllText(path, File.ReadAllText(path).Replace($"\"entries\": {count}", $"\"entries\": {count - 1}"));
        Assert.Equal(1, SignedBundleTests.Cli("verify-signed", path).Code);

        var report = (await admin.GetFromJsonAsync<JsonObject>("/api/reports/monthly"))!;
        Assert.True((long)report["auditChain"]!["entries"]! >= count);
        Assert.Equal(64, ((string)report["auditChain"]!["hash"]!).Length);
        Assert.Equal((string)keys["current"]!["fingerprint"]!, (string)report["evidenceKey"]!);
    }
}
