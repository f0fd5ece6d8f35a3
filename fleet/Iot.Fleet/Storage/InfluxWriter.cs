using Iot.Fleet.Telemetry;
using System.Net.Http;
using System.Text;
using Dapper;
using Iot.Fleet.Health;
using Microsoft.Extensions.Options;

namespace Iot.Fleet.Storage;

/// <summary>Options of the InfluxDB connection (section "Influx").</summary>
public sealed class InfluxOptions
{
    /// <summary>Base address of the v1 HTTP API (/write, /query); InfluxDB 1.x, or 2.x/3.x compatibility API.</summary>
    public string Url { get; set; } = "http://127.0.0.1:8086";
    public string Database { get; set; } = "iot";

    /// <summary>Token for 2.x/3.x (sent as `Authorization: Token …`); empty for 1.x without auth.</summary>
    public string? Token { get; set; }

    /// <summary>Lines per write; InfluxDB's own guidance is 5,000.</summary>
    public int BatchLines { get; set; } = 5000;

    /// <summary>How long minute readings stay (the default policy `autogen`): InfluxQL duration (`104w`, `730d`) or INF.</summary>
    public string MinuteRetention { get; set; } = "104w";

    /// <summary>How long hourly means stay (policy `hourly`, filled by a continuous query; <see cref="InfluxRetention"/>).</summary>
    public string HourlyRetention { get; set; } = "520w";
}

/// <summary>
/// Copies the record journal into InfluxDB in batches, following the journal's "influx" cursor. A
/// failed write is retried with backoff and the cursor does not move, so while InfluxDB is down the
/// readings wait in the journal on disk; a batch written twice after a crash overwrites itself,
/// because InfluxDB identifies a point by series and timestamp. A batch InfluxDB refuses as data (4xx)
/// is split until the refused lines are found; those are quarantined with InfluxDB's reason
/// (`influx_quarantine`) and the rest carries on, so one bad point never blocks the others.
/// </summary>
public sealed class InfluxWriter(RecordJournal journal, FleetDatabase database, IOptions<InfluxOptions> options, FleetHealth health, TimeProvider clock,
    ILogger<InfluxWriter> logger) : SupervisedService(health, logger, clock)
{
    public const string Cursor = "influx";
    public const string WritingStage = "influx";

    /// <summary>Fresh records handed over by the ingest, so the common case needs no read-back from the
    /// journal; the journal stays the source whenever this queue is not contiguous with the cursor.</summary>
    private readonly System.Collections.Concurrent.ConcurrentQueue<TelemetryRecord> _fresh = new();
    private const int FreshQueueLimit = 200_000;
    private readonly SemaphoreSlim _wake = new(0);
    private readonly HttpClient _http = Client(options.Value);

    /// <summary>Row id written so far.</summary>
    public long WrittenUpTo { get; private set; }

    /// <summary>True while the last write attempt failed.</summary>
    public bool Failing { get; private set; }

    /// <summary>Lines InfluxDB refused since the start (kept in `influx_quarantine`).</summary>
    public long Quarantined { get; private set; }

    protected override string Stage => WritingStage;

    /// <summary>Hands over records just stored in the journal and wakes the writer.</summary>
    public void Enqueue(IReadOnlyList<TelemetryRecord> stored)
    {
        // Past the limit (InfluxDB away for long) the queue is dropped; the journal has everything.
        if (_fresh.Count + stored.Count > FreshQueueLimit) _fresh.Clear();
        foreach (var record in stored) _fresh.Enqueue(record);
        Wake();
    }

    /// <summary>Tells the writer that new records are in the journal.</summary>
    public void Wake()
    {
        if (_wake.CurrentCount == 0) _wake.Release();
    }

    protected override async Task RunAsync(CancellationToken stop)
    {
        WrittenUpTo = journal.Cursor(Cursor);
        Health.Watch(WritingStage, () => (journal.LatestRowId() - WrittenUpTo, WrittenUpTo));
        var backoff = TimeSpan.FromMilliseconds(200);
        var databaseReady = false;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                if (!databaseReady) databaseReady = await CreateDatabase(stop);
                var batch = NextBatch(options.Value.BatchLines);
                if (batch.Count == 0)
                {
                    await _wake.WaitAsync(TimeSpan.FromSeconds(1), stop);
                    continue;
                }
                await WriteOrQuarantine(batch, stop);
                WrittenUpTo = batch[^1].RowId;
                journal.SetCursor(Cursor, WrittenUpTo);
                if (Failing) logger.LogInformation("InfluxDB writes work again; written up to row {Row}", WrittenUpTo);
                Failing = false;
                backoff = TimeSpan.FromMilliseconds(200);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or InfluxUnavailableException)
            {
                if (!Failing) logger.LogWarning("InfluxDB write failed ({Reason}); readings wait in the journal and are retried", e.Message);
                Failing = true;
                // A restarted or emptied InfluxDB may have lost the database.
                databaseReady = false;
                await Task.Delay(backoff, stop).ContinueWith(_ => { }, TaskScheduler.Default);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
            }
        }
    }

    /// <summary>Writes the records; when InfluxDB refuses the data itself, halves the batch until each refused
    /// line stands alone and quarantines it. Points of a refused batch that InfluxDB did write are written again,
    /// which overwrites them with the same values.</summary>
    private async Task WriteOrQuarantine(IReadOnlyList<TelemetryRecord> batch, CancellationToken stop)
    {
        var lines = new StringBuilder(batch.Count * 96);
        foreach (var record in batch) LineProtocol.Append(lines, record);
        var refusal = await Write(lines.ToString(), stop);
        if (refusal is null) return;
        if (batch.Count == 1)
        {
            Quarantine(batch[0], lines.ToString(), refusal);
            return;
        }
        var half = batch.Count / 2;
        await WriteOrQuarantine(batch.Take(half).ToList(), stop);
        await WriteOrQuarantine(batch.Skip(half).ToList(), stop);
    }

    private void Quarantine(TelemetryRecord record, string line, string reason)
    {
        using var connection = database.Open();
        connection.Execute(
            "INSERT INTO influx_quarantine (row_id, dev, line, reason, at) VALUES (@RowId, @Device, @line, @reason, @at) ON CONFLICT (row_id) DO NOTHING",
            new { record.RowId, record.Device, line, reason, at = Clock.GetUtcNow().ToUnixTimeMilliseconds() });
        Quarantined++;
        logger.LogError("InfluxDB refused record {Device}/{Seq} (row {Row}): {Reason}; kept in influx_quarantine, the others carry on",
            record.Device, record.Seq, record.RowId, reason);
    }

    /// <summary>The records after the cursor: from the hand-over queue when it continues the cursor
    /// exactly, otherwise from the journal.</summary>
    private IReadOnlyList<TelemetryRecord> NextBatch(int limit)
    {
        while (_fresh.TryPeek(out var head) && head.RowId <= WrittenUpTo) _fresh.TryDequeue(out _);
        if (!_fresh.TryPeek(out var first) || first.RowId != WrittenUpTo + 1) return journal.ReadAfter(WrittenUpTo, limit);
        var batch = new List<TelemetryRecord>(Math.Min(limit, _fresh.Count));
        var next = WrittenUpTo + 1;
        while (batch.Count < limit && _fresh.TryPeek(out var r) && r.RowId == next)
        {
            _fresh.TryDequeue(out _);
            batch.Add(r);
            next++;
        }
        return batch;
    }

    /// <summary>Creates the database, its retention policies and the hourly continuous query (InfluxRetention); true when
    /// InfluxDB answered. 2.x/3.x answer 4xx through the compatibility API: the bucket and its retention are set up there.</summary>
    private async Task<bool> CreateDatabase(CancellationToken stop)
    {
        foreach (var (create, whenItExists) in InfluxRetention.Statements(options.Value))
        {
            var error = await Query(create, stop);
            if (error is null) continue;
            if (error.Contains("already exists", StringComparison.Ordinal) && whenItExists.Length > 0)
            {
                foreach (var statement in whenItExists)
                    if (await Query(statement, stop) is { } again) logger.LogError("InfluxDB refused {Statement}: {Error}", statement, again);
                continue;
            }
            if (create.StartsWith("CREATE DATABASE", StringComparison.Ordinal)) return true;
            logger.LogError("InfluxDB refused {Statement}: {Error}; readings are written, but InfluxDB keeps them by its own policy", create, error);
        }
        return true;
    }

    /// <summary>Runs one InfluxQL statement; null when it held, else the error InfluxDB gave. Throws when InfluxDB is away.</summary>
    private async Task<string?> Query(string statement, CancellationToken stop)
    {
        using var response = await _http.PostAsync("query", new FormUrlEncodedContent(new Dictionary<string, string> { ["q"] = statement }), stop);
        var body = await response.Content.ReadAsStringAsync(stop);
        if ((int)response.StatusCode >= 500) throw new InfluxUnavailableException($"InfluxDB answered {(int)response.StatusCode} to {statement}");
        if (!response.IsSuccessStatusCode) return $"{(int)response.StatusCode}: {body}";
        using var json = System.Text.Json.JsonDocument.Parse(body);
        return json.RootElement.TryGetProperty("results", out var results) && results.GetArrayLength() > 0
               && results[0].TryGetProperty("error", out var error) ? error.GetString() : null;
    }

    /// <summary>Writes lines; null when InfluxDB took them, InfluxDB's reason when it refused the data (400, 422).
    /// Throws <see cref="InfluxUnavailableException"/> for anything else (down, auth, missing database, overload).</summary>
    private async Task<string?> Write(string lines, CancellationToken stop)
    {
        using var content = new StringContent(lines, Encoding.UTF8, "text/plain");
        using var response = await _http.PostAsync($"write?db={Uri.EscapeDataString(options.Value.Database)}&precision=s", content, stop);
        if (response.IsSuccessStatusCode) return null;
        var body = await response.Content.ReadAsStringAsync(stop);
        var reason = $"InfluxDB answered {(int)response.StatusCode}: {(body.Length > 500 ? body[..500] : body)}";
        return (int)response.StatusCode is 400 or 422 ? reason : throw new InfluxUnavailableException(reason);
    }

    private static HttpClient Client(InfluxOptions options)
    {
        var http = new HttpClient { BaseAddress = new Uri(options.Url.TrimEnd('/') + "/"), Timeout = TimeSpan.FromSeconds(30) };
        if (!string.IsNullOrEmpty(options.Token)) http.DefaultRequestHeaders.Authorization = new("Token", options.Token);
        return http;
    }

    /// <summary>InfluxDB did not take a write for a reason that is not the data's: retry later.</summary>
    private sealed class InfluxUnavailableException(string message) : Exception(message);

    public override void Dispose()
    {
        _http.Dispose();
        _wake.Dispose();
        base.Dispose();
    }
}
