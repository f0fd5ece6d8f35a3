using Iot.Fleet.Health;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Iot.Fleet.Glossary;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;

namespace Iot.Fleet.Notifications;

/// <summary>
/// Delivers the outbox. Contract with receivers: <b>at least once, with an idempotency key</b>. A row is marked
/// delivered only after the receiver answered 2xx, and only once (pending → delivered); if the fleet dies between
/// the receiver's answer and that mark, the row is sent again after the restart with the same `Idempotency-Key`
/// (webhook header and body `id`), which receivers must use to drop the repeat. DingTalk robots cannot dedupe, so a
/// crash in that instant can post a message twice in a group; nothing else can. Failures are retried for ever with
/// exponential backoff (<see cref="NotificationOptions.BaseDelaySeconds"/> doubling up to
/// <see cref="NotificationOptions.MaxDelaySeconds"/>, equal jitter) and shown by GET /api/notifications?status=failing.
/// </summary>
public sealed class NotificationSender(NotificationOutbox outbox, IOptionsMonitor<NotificationOptions> options, TimeProvider clock,
    ILogger<NotificationSender> logger, HttpMessageHandler? handler = null, FleetHealth? health = null)
    : SupervisedService(health ?? new FleetHealth(clock), logger, clock)
{
    private readonly HttpClient _http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);

    public const string SendingStage = "notifications";

    protected override string Stage => SendingStage;

    protected override async Task RunAsync(CancellationToken stop)
    {
        Health.Watch(SendingStage, outbox.Overdue);
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await DeliverDue(stop);
                var wait = outbox.NextDue() is { } next ? next - Clock.GetUtcNow() : TimeSpan.FromSeconds(30);
                await outbox.Waken(TimeSpan.FromMilliseconds(Math.Clamp(wait.TotalMilliseconds, 50, 30_000)), stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException)
            {
                Logger.LogWarning("Notification outbox: {Reason}; trying again shortly", e.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), stop).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    /// <summary>Tries every row that is due once; returns how many were delivered.</summary>
    public async Task<int> DeliverDue(CancellationToken stop = default)
    {
        var delivered = 0;
        foreach (var row in outbox.Due(50))
        {
            var error = await Send(row, stop);
            if (error is null)
            {
                if (outbox.MarkDelivered(row.Id)) delivered++;
                continue;
            }
            var next = Clock.GetUtcNow() + Backoff((int)row.Attempts + 1, options.CurrentValue);
            outbox.MarkFailed(row.Id, error, next);
            if (row.Attempts == 0) Logger.LogWarning("Notification {Event} to {Target} failed ({Error}); retrying with backoff", row.EventKey, row.Target, error);
        }
        return delivered;
    }

    /// <summary>Delay before the next attempt after <paramref name="failures"/> failures: base·2^(failures−1), capped,
    /// then a random point in its upper half (so many failing rows do not retry in lockstep).</summary>
    public static TimeSpan Backoff(int failures, NotificationOptions options)
    {
        var exponent = Math.Min(Math.Max(failures - 1, 0), 30);
        var delay = Math.Min(options.BaseDelaySeconds * Math.Pow(2, exponent), options.MaxDelaySeconds);
        return TimeSpan.FromSeconds(delay / 2 + Random.Shared.NextDouble() * delay / 2);
    }

    /// <returns>null when delivered, otherwise why not.</returns>
    private async Task<string?> Send(DueNotification row, CancellationToken stop)
    {
        var target = options.CurrentValue.Targets.FirstOrDefault(t => t.Key == row.Target);
        if (target is null) return $"target {row.Target} is no longer configured";
        var data = JsonNode.Parse(row.Data)!.AsObject();
        var key = NotificationOutbox.IdempotencyKey(row.EventKey, row.Target);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
            timeout.CancelAfter(TimeSpan.FromSeconds(options.CurrentValue.TimeoutSeconds));
            using var request = target.Kind switch
            {
                TargetKinds.DingTalk => DingTalkRequest(target, row, data, Clock.GetUtcNow()),
                TargetKinds.Webhook => WebhookRequest(target, row.Event, data, key, Clock.GetUtcNow()),
                _ => null,
            };
            if (request is null) return $"unknown target kind '{target.Kind}' (dingtalk or webhook)";
            using var response = await _http.SendAsync(request, timeout.Token);
            var body = await response.Content.ReadAsStringAsync(timeout.Token);
            if (!response.IsSuccessStatusCode) return $"HTTP {(int)response.StatusCode}: {Short(body)}";
            // DingTalk answers 200 with {"errcode":310000,...} for a bad signature or keyword, 130101 when rate limited.
            if (target.Kind == TargetKinds.DingTalk && DingTalkError(body) is { } dingError) return dingError;
            return null;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or OperationCanceledException && !stop.IsCancellationRequested)
        {
            return e is HttpRequestException ? e.Message : "timed out";
        }
    }

    /// <summary>A generic JSON webhook: the event with `id` = idempotency key; `X-Iot-Signature: sha256=hex(HMAC-SHA256(secret,
    /// "{X-Iot-Timestamp}.{body}"))` when a secret is configured.</summary>
    public static HttpRequestMessage WebhookRequest(NotificationTarget target, string @event, JsonObject data, string idempotencyKey, DateTimeOffset now)
    {
        var body = new JsonObject { ["id"] = idempotencyKey };
        foreach (var (name, value) in data) body[name] = value?.DeepClone();
        var json = body.ToJsonString(NotificationOutbox.Json);
        var request = new HttpRequestMessage(HttpMethod.Post, target.Url) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        var timestamp = now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        request.Headers.Add("Idempotency-Key", idempotencyKey);
        request.Headers.Add("X-Iot-Event", @event);
        request.Headers.Add("X-Iot-Timestamp", timestamp);
        if (target.Secret is { Length: > 0 } secret) request.Headers.Add("X-Iot-Signature", "sha256=" + WebhookSignature(secret, timestamp, json));
        return request;
    }

    public static string WebhookSignature(string secret, string timestamp, string body) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{timestamp}.{body}")));

    /// <summary>DingTalk's robot signature: Base64(HMAC-SHA256(key = secret, "{timestamp ms}\n{secret}")), UTF-8, URL-encoded
    /// as the `sign` query parameter next to `timestamp`.</summary>
    public static string DingTalkSign(string secret, long timestampMs) =>
        Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{timestampMs.ToString(CultureInfo.InvariantCulture)}\n{secret}")));

    private static HttpRequestMessage DingTalkRequest(NotificationTarget target, DueNotification row, JsonObject data, DateTimeOffset now)
    {
        var url = target.Url;
        if (target.Secret is { Length: > 0 } secret)
        {
            var ms = now.ToUnixTimeMilliseconds();
            url += (url.Contains('?') ? "&" : "?") + $"timestamp={ms}&sign={Uri.EscapeDataString(DingTalkSign(secret, ms))}";
        }
        var (title, text) = DingTalkMarkdown(row.Event, data);
        var message = new JsonObject { ["msgtype"] = "markdown", ["markdown"] = new JsonObject { ["title"] = title, ["text"] = text } };
        return new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(message.ToJsonString(), Encoding.UTF8, "application/json") };
    }

    /// <summary>
    /// The group message, in the bureau's words: what happened, where, which rule, how far over the limit, when (the
    /// site's local time with its offset) and the squad. No codes and no UTC: the group reads Chinese.
    /// </summary>
    public static (string Title, string Text) DingTalkMarkdown(string @event, JsonObject data)
    {
        var lead = data["lead"];
        var site = data["site"];
        var zone = (string?)site?["timezone"];
        var title = @event switch
        {
            NotificationEvents.LeadNew => "新执法线索",
            NotificationEvents.LeadDispatched => "线索已派遣",
            NotificationEvents.LeadOverdue => "超时未到场",
            NotificationEvents.LeadMerged => $"线索 #{lead?["id"]} 已并入线索 #{data["merged_into"]}",
            _ => "线索通知",
        };
        // A lead from a meter without a valid calibration is kept and announced, but never as evidence.
        var uncalibrated = (string?)lead?["evidence"] == Meters.EvidenceGrade.Uncalibrated;
        if (uncalibrated) title += " · 非证据级";
        var text = new StringBuilder($"### {title}\n\n");
        if (uncalibrated) text.Append("- ⚠ 计量器具在监测时段内无有效检定证书，本线索不作为执法证据，仅供核查\n");
        text.Append(CultureInfo.InvariantCulture, $"- 线索：#{lead?["id"]}（{BureauWords.StatusZh((string?)lead?["status"])}）\n");
        text.Append(CultureInfo.InvariantCulture, $"- 点位：{site?["name"]}（{site?["id"]}），网格 {site?["grid"] ?? "—"}\n");
        text.Append(CultureInfo.InvariantCulture, $"- 问题：{BureauWords.RuleZh((string?)lead?["rule"])}\n");
        text.Append(CultureInfo.InvariantCulture, $"- 监测值：{lead?["value"]} {BureauWords.UnitZh((string?)lead?["unit"])}（限值 {lead?["limit"]}）\n");
        text.Append(CultureInfo.InvariantCulture, $"- 时间：{LocalTime.Format((string?)lead?["start"], zone)} 至 {LocalTime.Format((string?)lead?["end"], zone)}\n");
        if (data["squad"] is { } squad) text.Append(CultureInfo.InvariantCulture, $"- 中队：{squad["name"]}\n");
        if (data["response_due"] is { } due) text.Append(CultureInfo.InvariantCulture, $"- 到场时限：{LocalTime.Format(due.ToJsonString().Trim((char)34), zone)}\n");
        if (data["review_due"] is { } review) text.Append(CultureInfo.InvariantCulture, $"- 补传线索，复核时限：{LocalTime.Format(review.ToJsonString().Trim((char)34), zone)}\n");
        if (data["url"] is { } link) text.Append(CultureInfo.InvariantCulture, $"\n[查看线索]({link})\n");
        return (title, text.ToString());
    }

    /// <summary>The error in a DingTalk answer, or null for errcode 0 (or an answer without one).</summary>
    public static string? DingTalkError(string body)
    {
        try
        {
            return JsonNode.Parse(body)?["errcode"]?.GetValue<int>() is { } code and not 0 ? $"DingTalk errcode {code}: {Short(body)}" : null;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private static string Short(string body) => body.Length > 200 ? body[..200] : body;

    public override void Dispose()
    {
        _http.Dispose();
        base.Dispose();
    }
}
