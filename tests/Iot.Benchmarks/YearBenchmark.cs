using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Dapper;
using Iot.Fleet.Cases;
using Iot.Fleet.Leads;
using Iot.Fleet.Registry;
using Iot.Fleet.Rules;
using Iot.Fleet.Storage;
using Iot.Fleet.Telemetry;
using Iot.Stack;

namespace Iot.Benchmarks;

/// <summary>
/// `./iot bench year`: how the pages and the report answer with a year of a city (issue 17, item 5). The fleet's database is
/// filled first, in process and through the fleet's own stores (sites and devices by the bulk import, leads by the lead
/// store, evidence records by the record journal; cases by SQL), with N gateways, a year of leads and their cases, and the
/// records each lead's evidence reads; then the real fleet starts on it and answers: a lead's evidence (GET
/// /api/leads/{id}) and lead list pages (first pages with and without filters, and pages further on) as p50/p99, and the
/// monthly report of each of the twelve months. The baseline is the same run on a district's month (1 % of the gateways
/// and of the leads); the targets are absolute: evidence p99 ≤ 200 ms, list pages p99 ≤ 100 ms, the report ≤ 2 s.
/// </summary>
internal static class YearBenchmark
{
    public static async Task<int> Run(int gateways, int leads, int evidence, int samples)
    {
        Console.WriteLine($"Year benchmark: {gateways:N0} gateways, {leads:N0} leads over a year ({evidence:N0} of them with their evidence records), {samples} samples per figure");
        var small = await Measure("a district's month", Math.Max(20, gateways / 100), Math.Max(200, leads / 100), Math.Max(100, evidence / 100), samples, days: 31);
        var year = await Measure("a city's year", gateways, leads, evidence, samples, days: 365);
        Console.WriteLine();
        Console.WriteLine($"{"",-28} {"district month",16} {"city year",12} {"ratio",7}  target");
        var ok = true;
        foreach (var (name, target) in new[] { ("evidence p99", 200.0), ("evidence p50", double.NaN), ("list page p99", 100.0), ("list page p50", double.NaN),
                     ("monthly report max", 2000.0), ("sites overview", double.NaN) })
        {
            var met = double.IsNaN(target) || year[name] <= target;
            ok &= met;
            Console.WriteLine($"{name,-28} {small[name],13:F1} ms {year[name],9:F1} ms {year[name] / small[name],7:F2}  {(double.IsNaN(target) ? "" : $"≤ {target:F0} ms {(met ? "met" : "MISSED")}")}");
        }
        return ok ? 0 : 1;
    }

    private static async Task<Dictionary<string, double>> Measure(string label, int gateways, int leads, int evidence, int samples, int days)
    {
        var state = Directory.CreateTempSubdirectory("iot-bench-year-").FullName;
        try
        {
            var fleetState = Path.Combine(state, "fleet");
            Directory.CreateDirectory(fleetState);
            var watch = Stopwatch.StartNew();
            var (leadIds, sites) = Fill(Path.Combine(fleetState, "fleet.db"), gateways, leads, evidence, days);
            Console.WriteLine($"  {label}: filled in {watch.Elapsed.TotalSeconds:F0} s ({new FileInfo(Path.Combine(fleetState, "fleet.db")).Length / 1e6:F0} MB)");

            using var broker = MosquittoBroker.Start();
            using var influx = InfluxServer.Start();
            var options = new FleetOptions { MqttHost = broker.Host, MqttPort = broker.Port, InfluxUrl = influx.Url, StateDirectory = fleetState };
            // The offline watch would raise an alert for every silent gateway while the clock runs: not what is measured here.
            options.Environment["Monitor__OfflineCheckSeconds"] = "86400";
            using var fleet = FleetServer.Start(options);
            using var http = fleet.Http();
            http.Timeout = TimeSpan.FromMinutes(2);
            var random = new Random(17);
            var figures = new Dictionary<string, double>();

            // Warm up the paths (JIT, SQLite page cache) before the clock starts.
            foreach (var id in leadIds.Take(20)) (await http.GetAsync($"/api/leads/{id}")).EnsureSuccessStatusCode();
            (await http.GetAsync("/api/leads?limit=50")).EnsureSuccessStatusCode();

            var evidenceTimes = await Times(samples, () => http.GetAsync($"/api/leads/{leadIds[random.Next(leadIds.Count)]}"));
            (figures["evidence p50"], figures["evidence p99"]) = (Percentile(evidenceTimes, 0.5), Percentile(evidenceTimes, 0.99));

            var rules = Rule.All.Select(r => r.Id).ToArray();
            var pages = new List<string> { "/api/leads?limit=50", "/api/alerts?limit=50" };
            var listTimes = await Times(samples, async () =>
            {
                var path = random.Next(4) switch
                {
                    0 => "/api/leads?limit=50",
                    1 => $"/api/leads?limit=50&site={sites[random.Next(sites.Count)]}",
                    2 => $"/api/leads?limit=50&rule={rules[random.Next(rules.Length)]}",
                    _ => pages[random.Next(pages.Count)],
                };
                var response = await http.GetAsync(path);
                // Remember a later page to ask for: what an inspector paging back through the queue asks.
                if (response.IsSuccessStatusCode && (await response.Content.ReadFromJsonAsync<JsonObject>())?["next"] is { } next && pages.Count < 200)
                    pages.Add($"/api/leads?limit=50&cursor={Uri.EscapeDataString((string)next!)}");
                return response;
            });
            (figures["list page p50"], figures["list page p99"]) = (Percentile(listTimes, 0.5), Percentile(listTimes, 0.99));

            var now = DateTimeOffset.UtcNow.ToOffset(TimeSpan.FromHours(8));
            var months = Enumerable.Range(0, Math.Min(12, days / 28)).Select(i => now.AddMonths(-i).ToString("yyyy-MM", CultureInfo.InvariantCulture)).ToList();
            var reportTimes = new List<double>();
            foreach (var month in months)
                reportTimes.AddRange(await Times(2, () => http.GetAsync($"/api/reports/monthly?month={month}")));
            figures["monthly report max"] = reportTimes.Max();
            figures["sites overview"] = (await Times(2, () => http.GetAsync("/api/reports/sites?limit=1000"))).Max();
            Console.WriteLine($"  {label}: evidence p50 {figures["evidence p50"]:F1} ms, p99 {figures["evidence p99"]:F1} ms; list pages p50 {figures["list page p50"]:F1} ms, " +
                $"p99 {figures["list page p99"]:F1} ms; monthly report max {figures["monthly report max"]:F0} ms over {months.Count} months");
            return figures;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            // IOT_BENCH_KEEP=1 keeps the filled database for a look at the query plans.
            if (Environment.GetEnvironmentVariable("IOT_BENCH_KEEP") == "1") Console.WriteLine($"  kept: {state}");
            else try { Directory.Delete(state, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>Times <paramref name="count"/> requests one after the other, in milliseconds; a failed answer stops the run.</summary>
    private static async Task<List<double>> Times(int count, Func<Task<HttpResponseMessage>> request)
    {
        var times = new List<double>(count);
        for (var i = 0; i < count; i++)
        {
            var watch = Stopwatch.StartNew();
            using var response = await request();
            var body = await response.Content.ReadAsByteArrayAsync();
            times.Add(watch.Elapsed.TotalMilliseconds);
            if (!response.IsSuccessStatusCode)
                throw new InvalidOperationException($"{response.RequestMessage?.RequestUri}: {(int)response.StatusCode} {Encoding.UTF8.GetString(body)}");
        }
        return times;
    }

    private static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
    }

    /// <summary>Fills a fresh fleet database: sites (a third each kitchens, noise and dust sites) in 100 grids held by 10
    /// squads, one gateway each; leads spread over <paramref name="days"/>; a case for every lead older than a day; and for
    /// <paramref name="evidence"/> leads, the hour of minute records around them. Returns the lead ids and the site ids.</summary>
    private static (List<long> Leads, List<string> Sites) Fill(string file, int gateways, int leads, int evidence, int days)
    {
        var database = new FleetDatabase($"Data Source={file}");
        database.Migrate();
        var registry = new SiteRegistry(database);
        var kinds = new[] { SiteKind.Fume, SiteKind.Noise, SiteKind.Dust };
        var sites = Enumerable.Range(0, gateways).Select(i => new Site($"S-{i:D6}", $"Site {i}", kinds[i % 3], "Asia/Shanghai", $"G-{i % 100:D2}", "default", [],
            34.7 + i % 100 * 0.001, 113.6 + i / 100 * 0.001)).ToList();
        var problems = registry.Import(sites, sites.Select(s => ($"GW-{s.Id[2..]}", s.Id)).ToList(), dryRun: false);
        if (problems.Count > 0) throw new InvalidOperationException(string.Join("; ", problems.Take(3)));
        var squads = new Squads(database, TimeProvider.System);
        for (var q = 0; q < 10; q++)
            squads.Save(new Squad($"SQ-{q}", $"Squad {q}", [.. Enumerable.Range(q * 10, 10).Select(g => $"G-{g:D2}")], []));

        var store = new LeadStore(database);
        var random = new Random(42);
        var now = DateTimeOffset.UtcNow;
        var rulesOf = kinds.ToDictionary(k => k, k => Rule.All.Where(r => r.Kind == k).ToArray());
        var ids = new List<long>(leads);
        foreach (var batch in Enumerable.Range(0, leads).Chunk(2000))
        {
            var made = batch.Select(_ =>
            {
                var site = sites[random.Next(sites.Count)];
                var rule = rulesOf[site.Kind][random.Next(rulesOf[site.Kind].Length)];
                var start = now.AddMinutes(-random.Next(60 * 24 * days)).ToUnixTimeSeconds() / 60;
                return new Lead
                {
                    Queue = LeadQueue.Enforcement, Rule = rule.Id, Site = site.Id, Devices = new(StringComparer.Ordinal) { $"GW-{site.Id[2..]}" },
                    StartMinute = start, EndMinute = start + random.Next(1, 30), WindowMinutes = 10, Value = 3.0, Limit = 2.0, Unit = rule.Unit,
                    RaisedAt = DateTimeOffset.FromUnixTimeSeconds((start + 20) * 60), UpdatedAt = DateTimeOffset.FromUnixTimeSeconds((start + 20) * 60),
                };
            }).ToList();
            store.Save(made);
            ids.AddRange(made.Select(l => l.Id));
        }

        using (var connection = database.Open())
        using (var tx = connection.BeginTransaction())
        {
            // Cases as the loop leaves them: most closed (some dismissed), the rest on their way.
            var rows = connection.Query<(long id, string site, long raised_at)>("SELECT id, site, raised_at FROM leads").ToList();
            foreach (var lead in rows.Where(l => l.raised_at < now.AddDays(-1).ToUnixTimeMilliseconds()))
            {
                var grid = int.Parse(lead.site[2..], CultureInfo.InvariantCulture) % 100;
                var responded = lead.raised_at + random.Next(5, 50) * 60_000L;
                var status = random.Next(10) switch { < 6 => CaseStatus.Confirmed, < 8 => CaseStatus.Dismissed, _ => CaseStatus.Rectifying };
                connection.Execute(
                    """
                    INSERT INTO cases (lead, status, squad, responded_at, result, outcome, close_reason, opened_at, updated_at, closed_at)
                    VALUES (@id, @status, @squad, @responded, @result, @outcome, @reason, @raised, @responded, @closed)
                    """,
                    new { id = lead.id, status, squad = $"SQ-{grid / 10}", responded, result = status == CaseStatus.Dismissed ? CaseStatus.NoViolation : CaseStatus.ViolationFound,
                        outcome = status == CaseStatus.Rectifying ? null : status, reason = status == CaseStatus.Dismissed ? "no_violation_on_site" : null,
                        raised = lead.raised_at, closed = status == CaseStatus.Rectifying ? (long?)null : responded + 3_600_000 }, tx);
                foreach (var (step, from, to, at) in new[] { ("acknowledge", "open", "acknowledged", lead.raised_at + 60_000), ("dispatch", "acknowledged", "dispatched", lead.raised_at + 120_000),
                             ("result", "dispatched", status == CaseStatus.Dismissed ? "no_violation" : "violation_found", responded) })
                    connection.Execute("INSERT INTO case_steps (lead, step, from_status, to_status, actor, at) VALUES (@lead, @step, @from, @to, 'bench', @at)",
                        new { lead = lead.id, step, from, to, at }, tx);
            }
            tx.Commit();
        }

        // The hour of minute records around a lead's start, as its gateway sent them: what GET /api/leads/{id} reads.
        var journal = new RecordJournal(database, new RawMessageStore(database, Path.Combine(Path.GetDirectoryName(file)!, "raw")));
        var leadRows = new List<(long Start, string Site)>();
        using (var connection = database.Open())
            leadRows = connection.Query<(long, string)>("SELECT start_minute, site FROM leads ORDER BY id LIMIT @evidence", new { evidence }).ToList();
        foreach (var chunk in leadRows.Chunk(200))
        {
            var accepted = chunk.Select(l =>
            {
                var device = $"GW-{l.Site[2..]}";
                var first = l.Start - 20;
                var yearStart = now.AddDays(-days - 1).ToUnixTimeSeconds() / 60;
                var recs = string.Join(",", Enumerable.Range(0, 60).Select(i =>
                    $$$"""{"seq":{{{first + i - yearStart}}},"t":{{{(first + i) * 60}}},"dur":60,"q":0,"m":{"pm25":{{{30 + i % 7}}}.5,"pm10":{{{80 + i % 11}}}.0,"laeq":58.2}}"""));
                var payload = Encoding.UTF8.GetBytes($$"""{"v":1,"dev":"{{device}}","fw":"1.4.2","recs":[{{recs}}]}""");
                var at = DateTimeOffset.FromUnixTimeSeconds((first + 61) * 60);
                return new AcceptedTelemetry($"iot/v1/{device}/telemetry", payload, MessageParser.ParseTelemetry(device, payload, at), l.Site);
            }).ToList();
            journal.Store(accepted, [], [], [], now);
        }
        using (var connection = database.Open())
        {
            // Everything stored is judged and in InfluxDB already: the started fleet does not replay the year.
            var last = connection.ExecuteScalar<long?>("SELECT MAX(row_id) FROM records") ?? 0;
            foreach (var cursor in new[] { InfluxWriter.Cursor, LeadStore.RulesCursor, Iot.Fleet.Forwarding.PlatformQueue.Cursor })
                RecordJournal.SetCursor(connection, null, cursor, last);
            RecordJournal.SetCursor(connection, null, LeadStore.EventsCursor, connection.ExecuteScalar<long?>("SELECT MAX(id) FROM events") ?? 0);
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        return (ids, sites.Select(s => s.Id).ToList());
    }
}
