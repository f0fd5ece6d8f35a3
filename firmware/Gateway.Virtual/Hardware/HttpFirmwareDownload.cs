using System.Net;
using System.Net.Http.Headers;
using Iot.Gateway.Hardware;

namespace Iot.Gateway.Virtual.Hardware;

/// <summary>
/// IFirmwareDownload over HTTP Range requests, without blocking the scheduler: a read starts the request for that
/// range and answers Waiting until it has completed; the next read at the same position takes its bytes.
/// </summary>
public sealed class HttpFirmwareDownload : IFirmwareDownload
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private Task<(int Result, byte[] Bytes)>? _request;
    private string? _url;
    private int _position;
    private int _count;

    public int Read(string url, int position, byte[] buffer, int offset, int count)
    {
        if (_request is null || _url != url || _position != position || _count != count)
        {
            _url = url;
            _position = position;
            _count = count;
            _request = FetchAsync(url, position, count);
            return DownloadResult.Waiting;
        }
        if (!_request.IsCompleted) return DownloadResult.Waiting;
        var task = _request;
        _request = null;
        if (!task.IsCompletedSuccessfully) return DownloadResult.Failed;
        var (result, bytes) = task.Result;
        if (result <= 0) return result;
        bytes.AsSpan(0, result).CopyTo(buffer.AsSpan(offset, count));
        return result;
    }

    public void Close() => _request = null;

    private static async Task<(int, byte[])> FetchAsync(string url, int position, int count)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.Range = new RangeHeaderValue(position, position + (long)count - 1);
            using var response = await Http.SendAsync(request, HttpCompletionOption.ResponseContentRead).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable) return (DownloadResult.EndOfFile, []);
            if (!response.IsSuccessStatusCode) return (DownloadResult.Failed, []);
            byte[] body = await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
            // A server without Range support sends the whole file (200): take the part asked for.
            if (response.StatusCode == HttpStatusCode.OK)
            {
                if (position >= body.Length) return (DownloadResult.EndOfFile, []);
                body = body[position..Math.Min(body.Length, position + count)];
            }
            if (body.Length == 0) return (DownloadResult.EndOfFile, []);
            return (Math.Min(body.Length, count), body);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            return (DownloadResult.Failed, []);
        }
    }
}
