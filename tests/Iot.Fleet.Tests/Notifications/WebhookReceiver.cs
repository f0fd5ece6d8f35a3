using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Iot.Fleet.Tests.Notifications;

/// <summary>A request the receiver got.</summary>
public sealed record ReceivedRequest(string Url, IReadOnlyDictionary<string, string> Headers, string Body, int AnsweredWith);

/// <summary>A local HTTP receiver for webhooks (HttpListener on 127.0.0.1): answers from a script of status codes
/// (200 once the script is used up) and keeps every request.</summary>
public sealed class WebhookReceiver : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ConcurrentQueue<int> _script = new();
    private readonly Task _loop;

    public WebhookReceiver(params int[] answers)
    {
        foreach (var a in answers) _script.Enqueue(a);
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        Port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(Serve);
    }

    public int Port { get; }
    public string Url => $"http://127.0.0.1:{Port}/hook";
    public ConcurrentQueue<ReceivedRequest> Requests { get; } = new();

    /// <summary>Body answered with 2xx; DingTalk wants {"errcode":0}.</summary>
    public string SuccessBody { get; set; } = """{"errcode":0,"errmsg":"ok"}""";

    private async Task Serve()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            var status = _script.TryDequeue(out var scripted) ? scripted : 200;
            var headers = context.Request.Headers.AllKeys.OfType<string>().ToDictionary(k => k, k => context.Request.Headers[k] ?? "", StringComparer.OrdinalIgnoreCase);
            Requests.Enqueue(new ReceivedRequest(context.Request.Url!.ToString(), headers, body, status));
            context.Response.StatusCode = status;
            var answer = Encoding.UTF8.GetBytes(status is >= 200 and < 300 ? SuccessBody : """{"error":"scripted failure"}""");
            await context.Response.OutputStream.WriteAsync(answer);
            context.Response.Close();
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        try { _loop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
    }
}
