using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Web;
using Dapper;
using Iot.Fleet.Notifications;
using Iot.Fleet.Tests.Cases;
using Xunit;

namespace Iot.Fleet.Tests.Notifications;

/// <summary>The outbox against a local HTTP receiver: once, retried, signed, and across a restart.</summary>
public sealed class OutboxTests : IDisposable
{
    private const string Secret = "webhook-secret";
    private readonly WebhookReceiver _receiver;
    private readonly LoopDatabase _db;

    public OutboxTests()
    {
        _receiver = new WebhookReceiver(500, 500);
        _db = new LoopDatabase(new NotificationTarget { Name = "city-platform", Kind = TargetKinds.Webhook, Url = _receiver.Url, Secret = Secret });
        _db.AddSite("R-1", "G-1");
    }

    public void Dispose()
    {
        _db.Dispose();
        _receiver.Dispose();
    }

    [Fact]
    public async Task A_lead_is_delivered_once_after_500s_with_a_stable_key_and_a_valid_signature()
    {
        var lead = _db.RaiseLead("R-1");
        var queued = Assert.Single(_db.Outbox.Find(DeliveryStatus.Pending));
        Assert.Equal(NotificationEvents.LeadNew, queued.Event);

        Assert.Equal(0, await _db.Sender.DeliverDue());
        var failing = Assert.Single(_db.Outbox.Find(DeliveryStatus.Failing));
        Assert.StartsWith("HTTP 500", failing.LastError);
        Assert.Equal(1, failing.Attempts);
        Assert.Equal(0, await _db.Sender.DeliverDue()); // not due yet: nothing sent
        Assert.Single(_receiver.Requests);

        _db.Clock.Now += TimeSpan.FromSeconds(_db.Options.MaxDelaySeconds);
        Assert.Equal(0, await _db.Sender.DeliverDue());
        _db.Clock.Now += TimeSpan.FromSeconds(_db.Options.MaxDelaySeconds);
        Assert.Equal(1, await _db.Sender.DeliverDue());
        _db.Clock.Now += TimeSpan.FromSeconds(_db.Options.MaxDelaySeconds);
        Assert.Equal(0, await _db.Sender.DeliverDue());

        var requests = _receiver.Requests.ToList();
        Assert.Equal([500, 500, 200], requests.Select(r => r.AnsweredWith));
        Assert.Single(requests.Select(r => r.Headers["Idempotency-Key"]).Distinct());
        var delivered = Assert.Single(_db.Outbox.Find(DeliveryStatus.Delivered));
        Assert.Equal(3, delivered.Attempts);
        Assert.Equal(delivered.IdempotencyKey, requests[^1].Headers["Idempotency-Key"]);
        Assert.Empty(_db.Outbox.Find(DeliveryStatus.Failing));

        var last = requests[^1];
        var body = JsonNode.Parse(last.Body)!;
        Assert.Equal(delivered.IdempotencyKey, (string)body["id"]!);
        Assert.Equal("lead.new", (string)body["event"]!);
        Assert.Equal(lead.Id, (long)body["lead"]!["id"]!);
        Assert.Equal("G-1", (string)body["site"]!["grid"]!);
        var expected = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret),
            Encoding.UTF8.GetBytes($"{last.Headers["X-Iot-Timestamp"]}.{last.Body}")));
        Assert.Equal($"sha256={expected}", last.Headers["X-Iot-Signature"]);
    }

    [Fact]
    public void Backoff_doubles_with_jitter_and_is_capped()
    {
        var options = new NotificationOptions { BaseDelaySeconds = 5, MaxDelaySeconds = 600 };
        for (var i = 0; i < 50; i++)
        {
            Assert.InRange(NotificationSender.Backoff(1, options).TotalSeconds, 2.5, 5);
            Assert.InRange(NotificationSender.Backoff(3, options).TotalSeconds, 10, 20);
            Assert.InRange(NotificationSender.Backoff(40, options).TotalSeconds, 300, 600);
        }
    }

    [Fact]
    public async Task A_restart_delivers_what_was_pending_and_nothing_twice()
    {
        using var receiver = new WebhookReceiver();
        _db.Options.Targets[0].Url = receiver.Url;
        var first = _db.RaiseLead("R-1");
        Assert.Equal(1, await _db.Sender.DeliverDue());
        _db.RaiseLead("R-1");
        _db.RaiseLead("R-1");

        _db.Reopen(); // the fleet stops with two rows pending and starts again on the same file
        Assert.Equal(2, _db.Outbox.Find(DeliveryStatus.Pending).Count);
        Assert.Equal(2, await _db.Sender.DeliverDue());
        Assert.Equal(0, await _db.Sender.DeliverDue());
        Assert.Equal(3, receiver.Requests.Count);
        Assert.Equal(3, receiver.Requests.Select(r => r.Headers["Idempotency-Key"]).Distinct().Count());

        // A crash after the receiver answered but before the row was marked: the row is pending again after the
        // restart, is sent again, and carries the key the receiver already saw (at least once + idempotency key).
        using (var connection = _db.Database.Open())
            connection.Execute("UPDATE notifications SET status = 'pending', delivered_at = NULL WHERE id = (SELECT MIN(id) FROM notifications)");
        _db.Reopen();
        Assert.Equal(1, await _db.Sender.DeliverDue());
        var repeats = receiver.Requests.GroupBy(r => r.Headers["Idempotency-Key"]).Where(g => g.Count() > 1).ToList();
        Assert.Equal((long)JsonNode.Parse(Assert.Single(repeats).First().Body)!["lead"]!["id"]!, first.Id);

        // Saving the same lead again (a replay) queues nothing new.
        Assert.Empty(_db.Leads.Save([first]));
        Assert.Equal(3, _db.Outbox.Find(null).Count);
    }

    [Fact]
    public async Task A_DingTalk_robot_gets_markdown_signed_as_DingTalk_documents()
    {
        using var robot = new WebhookReceiver();
        var secret = "SEC0123456789abcdef";
        _db.Options.Targets.Clear();
        _db.Options.Targets.Add(new NotificationTarget { Kind = TargetKinds.DingTalk, Url = robot.Url + "?access_token=abc", Secret = secret, Events = ["lead.new"] });
        _db.RaiseLead("R-1");
        Assert.Equal(1, await _db.Sender.DeliverDue());

        var request = Assert.Single(robot.Requests);
        var query = HttpUtility.ParseQueryString(new Uri(request.Url).Query);
        Assert.Equal("abc", query["access_token"]);
        var timestamp = query["timestamp"]!;
        Assert.Equal(_db.Clock.Now.ToUnixTimeMilliseconds().ToString(), timestamp);
        // timestamp + "\n" + secret, HMAC-SHA256 keyed with the secret, Base64, then URL-encoded (decoded by ParseQueryString).
        var expected = Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{timestamp}\n{secret}")));
        Assert.Equal(expected, query["sign"]);
        Assert.Contains("sign=" + Uri.EscapeDataString(expected), request.Url);
        var message = JsonNode.Parse(request.Body)!;
        Assert.Equal("markdown", (string)message["msgtype"]!);
        var text = (string)message["markdown"]!["text"]!;
        Assert.Contains("点位：", text);
        Assert.Contains("(R-1)", text.Replace("（", "(").Replace("）", ")"));
        Assert.DoesNotContain("UTC", text);
        Assert.Matches(@"时间：\d{4}-\d\d-\d\d \d\d:\d\d \(\+08:00\)", text);
        Assert.DoesNotMatch(@"\b(noise|dust|fume)\.[a-z_]+", text); // rules by name, never by code

        // The documented example (secret "this is secret", timestamp 1577262236757), computed with Python's hmac.
        Assert.Equal("hmPWwU+7lVdm3ZZz0r9tSfx0L4Q26jWOZr9+Gs6EZQM=", NotificationSender.DingTalkSign("this is secret", 1577262236757));
        Assert.Equal("hmPWwU%2B7lVdm3ZZz0r9tSfx0L4Q26jWOZr9%2BGs6EZQM%3D", Uri.EscapeDataString(NotificationSender.DingTalkSign("this is secret", 1577262236757)));
    }

    [Fact]
    public void A_DingTalk_error_code_counts_as_a_failure()
    {
        Assert.NotNull(NotificationSender.DingTalkError("""{"errcode":310000,"errmsg":"sign not match"}"""));
        Assert.Null(NotificationSender.DingTalkError("""{"errcode":0,"errmsg":"ok"}"""));
    }
}
