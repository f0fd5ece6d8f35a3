using System.Text.Json;
using System.Threading.Channels;
using Iot.Fleet.Rules;

namespace Iot.Fleet.Leads;

/// <summary>Pushes leads and alerts to open pages and tools the moment they are saved, and cases when they change
/// (server-sent events at GET /api/leads/stream: `lead`, `alert`, `case`). A listener that falls more than
/// <see cref="Buffer"/> events behind loses the oldest and is told so by a `missed` event (`{"events": n}`) before the next
/// one it gets, so a page or tool knows to read the lists again instead of trusting an incomplete stream.</summary>
public sealed class LeadFeed
{
    private readonly Lock _lock = new();
    private readonly List<Channel<(string Event, object Data)>> _listeners = [];

    /// <summary>Events kept for one listener that is not reading.</summary>
    public const int Buffer = 1000;

    /// <summary>Hands new leads to every listener; a listener that falls far behind loses the oldest (and hears of it), never
    /// blocks the ingest.</summary>
    public void Publish(IReadOnlyList<Lead> created)
    {
        lock (_lock)
            foreach (var listener in _listeners)
                foreach (var lead in created)
                    listener.Writer.TryWrite((lead.Queue == LeadQueue.Enforcement ? "lead" : "alert", LeadView.Of(lead)));
    }

    /// <summary>Hands a changed case (Cases/CaseView) to every listener as a `case` event.</summary>
    public void PublishCase(object view)
    {
        lock (_lock)
            foreach (var listener in _listeners)
                listener.Writer.TryWrite(("case", view));
    }

    /// <summary>Writes events to one HTTP response until the client goes away.</summary>
    public async Task Stream(HttpContext context, JsonSerializerOptions json)
    {
        long missed = 0;
        var channel = Channel.CreateBounded<(string Event, object Data)>(new BoundedChannelOptions(Buffer) { FullMode = BoundedChannelFullMode.DropOldest },
            _ => Interlocked.Increment(ref missed));
        lock (_lock) _listeners.Add(channel);
        try
        {
            context.Response.Headers.ContentType = "text/event-stream";
            context.Response.Headers.CacheControl = "no-cache";
            await context.Response.WriteAsync(": connected\n\n", context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
            await foreach (var (kind, data) in channel.Reader.ReadAllAsync(context.RequestAborted))
            {
                if (Interlocked.Exchange(ref missed, 0) is var lost and > 0)
                    await context.Response.WriteAsync($"event: missed\ndata: {{\"events\":{lost}}}\n\n", context.RequestAborted);
                await context.Response.WriteAsync($"event: {kind}\ndata: {JsonSerializer.Serialize(data, data.GetType(), json)}\n\n", context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
            }
        }
        catch (OperationCanceledException)
        {
            // The page closed.
        }
        finally
        {
            lock (_lock) _listeners.Remove(channel);
        }
    }
}
