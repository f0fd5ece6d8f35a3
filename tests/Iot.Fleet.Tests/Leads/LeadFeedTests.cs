using System.Text;
using System.Text.Json;
using Iot.Fleet.Leads;
using Iot.Fleet.Rules;
using Microsoft.AspNetCore.Http;
using Xunit;

namespace Iot.Fleet.Tests.Leads;

/// <summary>The live stream never blocks the ingest for a slow listener, and never lets it believe an incomplete stream.</summary>
public sealed class LeadFeedTests
{
    /// <summary>A response body that takes nothing until it is opened: a page that stopped reading.</summary>
    private sealed class StalledBody : Stream
    {
        private readonly MemoryStream _written = new();
        public readonly TaskCompletionSource Open = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public string Text { get { lock (_written) return Encoding.UTF8.GetString(_written.ToArray()); } }
        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancel = default)
        {
            await Open.Task.WaitAsync(cancel);
            lock (_written) _written.Write(buffer.Span);
        }
        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancel) => WriteAsync(buffer.AsMemory(offset, count), cancel).AsTask();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override Task FlushAsync(CancellationToken cancel) => Task.CompletedTask;
        public override void Flush() { }
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }

    private static Lead Lead(long id) => new()
    {
        Id = id, Queue = LeadQueue.Enforcement, Rule = "fume.purifier_off", Site = "S1", StartMinute = 29_000_000 + id, EndMinute = 29_000_010 + id,
        WindowMinutes = 10, Value = 10, Limit = 10, Unit = "min", RaisedAt = DateTimeOffset.UnixEpoch, UpdatedAt = DateTimeOffset.UnixEpoch,
    };

    [Fact]
    public async Task A_listener_that_fell_behind_hears_how_many_events_it_missed_before_the_ones_it_still_gets()
    {
        var feed = new LeadFeed();
        var body = new StalledBody();
        using var stop = new CancellationTokenSource();
        var context = new DefaultHttpContext { RequestAborted = stop.Token };
        context.Response.Body = body;
        var streaming = feed.Stream(context, new JsonSerializerOptions(JsonSerializerDefaults.Web));

        // The publisher is never held up by the listener that is not reading.
        var publish = Task.Run(() => { for (var id = 1; id <= LeadFeed.Buffer + 5; id++) feed.Publish([Lead(id)]); });
        await publish.WaitAsync(TimeSpan.FromSeconds(10)); // a TimeoutException if publishing waited for the stalled listener
        body.Open.SetResult();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (CountOf(body.Text, "event: lead") < LeadFeed.Buffer && DateTime.UtcNow < deadline) await Task.Delay(20);
        await stop.CancelAsync();
        await streaming;

        var text = body.Text;
        Assert.Equal(LeadFeed.Buffer, CountOf(text, "event: lead"));
        Assert.Equal(1, CountOf(text, "event: missed"));
        var missed = text.IndexOf("event: missed\ndata: {\"events\":5}\n\n", StringComparison.Ordinal);
        Assert.True(missed > 0 && missed < text.IndexOf("event: lead", StringComparison.Ordinal), text[..Math.Min(400, text.Length)]);
        // The oldest five went; the first one it gets is the sixth.
        Assert.Contains("\"id\":6,", text[missed..text.IndexOf("\n\n", text.IndexOf("event: lead", StringComparison.Ordinal), StringComparison.Ordinal)]);
    }

    [Fact]
    public async Task A_listener_that_keeps_up_is_never_told_it_missed_anything()
    {
        var feed = new LeadFeed();
        var body = new StalledBody();
        body.Open.SetResult();
        using var stop = new CancellationTokenSource();
        var context = new DefaultHttpContext { RequestAborted = stop.Token };
        context.Response.Body = body;
        var streaming = feed.Stream(context, new JsonSerializerOptions(JsonSerializerDefaults.Web));
        for (var id = 1; id <= 50; id++)
        {
            feed.Publish([Lead(id)]);
            var deadline = DateTime.UtcNow.AddSeconds(5);
            while (CountOf(body.Text, "event: lead") < id && DateTime.UtcNow < deadline) await Task.Delay(1);
        }
        await stop.CancelAsync();
        await streaming;
        Assert.Equal(50, CountOf(body.Text, "event: lead"));
        Assert.DoesNotContain("event: missed", body.Text);
    }

    private static int CountOf(string text, string what)
    {
        var count = 0;
        for (var i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + what.Length, StringComparison.Ordinal)) count++;
        return count;
    }
}
