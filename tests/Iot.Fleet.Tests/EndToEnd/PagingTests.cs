using System.Net;
using System.Text.Json.Nodes;
using Iot.Testing;
using Xunit;

namespace Iot.Fleet.Tests.EndToEnd;

/// <summary>Every list pages the same way (`{items, next, total}`, Api/Paging.cs), against the running fleet.</summary>
[Collection(PipelineCollection.Name)]
public sealed class PagingTests(PipelineFixture pipeline)
{
    [Fact]
    public async Task Paging_through_2500_leads_gives_each_once_and_the_total_while_new_leads_arrive()
    {
        await pipeline.Register("P-PAGES", "dust", "GW-PAGES-1");
        // Two leads per start minute, so the cursor's tie on the minute is broken by the id.
        var first = DateTimeOffset.UtcNow.AddDays(-30).ToUnixTimeSeconds() / 60;
        var stored = InsertLeads("P-PAGES", Enumerable.Range(0, 2500).Select(i => first + i / 2));
        using var http = pipeline.Fleet.Http();

        var seen = new List<long>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await http.GetPageAsync("/api/leads?site=P-PAGES&limit=300" + (cursor is null ? "" : $"&cursor={Uri.EscapeDataString(cursor)}"));
            if (pages == 0) Assert.Equal(2500, (long)page["total"]!);
            seen.AddRange(page["items"]!.AsArray().Select(l => (long)l!["id"]!));
            cursor = (string?)page["next"];
            // Live leads arrive between pages (newer than everything paged so far): no page shifts, none repeats.
            if (pages++ == 1) InsertLeads("P-PAGES", Enumerable.Range(0, 40).Select(i => first + 100_000 + i));
        } while (cursor is not null);

        Assert.Equal(9, pages);
        Assert.Equal(seen.Count, seen.Distinct().Count());
        Assert.Equal(stored.Order(), seen.Order());
        Assert.Equal(2540, await http.CountAsync("/api/leads?site=P-PAGES"));
        Assert.Equal(2540, (await http.GetAllAsync("/api/leads?site=P-PAGES")).Count);
    }

    [Fact]
    public async Task Every_list_answers_a_page_and_refuses_a_limit_or_cursor_it_did_not_give()
    {
        using var http = pipeline.Fleet.Http();
        await pipeline.Register("P-LISTS", "noise", "GW-LISTS-1");
        await pipeline.Permit("P-LISTS", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddHours(8));
        string[] lists = ["/api/leads", "/api/alerts", "/api/sites", "/api/sites/P-LISTS/permits", "/api/sites/P-LISTS/commissioning", "/api/cases",
            "/api/squads", "/api/notifications", "/api/audit", "/api/people", "/api/tokens", "/api/releases", "/api/campaigns", "/api/rejections",
            "/api/devices/GW-LISTS-1/rejections", "/api/conflicts", "/api/influx/quarantine", "/api/reports/sites", "/api/hj212/queue"];
        foreach (var list in lists)
        {
            var page = await http.GetPageAsync(list);
            Assert.True(page["items"] is JsonArray && page.ContainsKey("next") && page["total"] is not null, $"{list}: {page.ToJsonString()}");
            Assert.True(page["items"]!.AsArray().Count <= 100, list);
            Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync($"{list}?limit=1001")).StatusCode);
            Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync($"{list}?limit=0")).StatusCode);
            Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync($"{list}?cursor=not-a-cursor")).StatusCode);
        }
        // A list of more than one page, one item at a time.
        var audit = await http.CountAsync("/api/audit");
        Assert.True(audit > 3);
        Assert.Equal(audit, (long)(await http.GetAllAsync("/api/audit", pageSize: 1)).Count);
        var sites = await http.GetAllAsync("/api/sites", pageSize: 2);
        Assert.Equal(sites.Select(s => (string)s!["id"]!).Order(StringComparer.Ordinal), sites.Select(s => (string)s!["id"]!));
    }

    /// <summary>Stores enforcement leads straight into the fleet's database, as the rules engine would; returns their ids.</summary>
    private List<long> InsertLeads(string site, IEnumerable<long> startMinutes)
    {
        using var connection = pipeline.OpenDatabase();
        using var tx = connection.BeginTransaction();
        var ids = new List<long>();
        foreach (var minute in startMinutes)
        {
            using var command = connection.CreateCommand();
            command.Transaction = tx;
            command.CommandText =
                """
                INSERT INTO leads (queue, rule, site, devices, start_minute, end_minute, window_minutes, value, lim, unit, late, status, raised_at, updated_at, profile)
                VALUES ('enforcement', 'dust.pm10', @site, '["GW-PAGES-1"]', @minute, @minute, 60, 200, 150, 'µg/m³', 0, 'new', @now, @now, 'default')
                RETURNING id
                """;
            foreach (var (name, value) in new (string, object)[] { ("site", site), ("minute", minute), ("now", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()) })
            {
                var p = command.CreateParameter();
                p.ParameterName = name;
                p.Value = value;
                command.Parameters.Add(p);
            }
            ids.Add((long)command.ExecuteScalar()!);
        }
        tx.Commit();
        return ids;
    }
}
