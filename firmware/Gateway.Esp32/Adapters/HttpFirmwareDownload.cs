using System;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Iot.Gateway.Hardware;

namespace Iot.Gateway.Esp32.Adapters
{
    /// <summary>
    /// IFirmwareDownload over nanoFramework's HttpClient. nanoFramework's HttpClient is synchronous, so this cannot
    /// run a request in the background as the virtual gateway does; instead it keeps one response open: a read at a
    /// new position sends one GET with "Range: bytes=position-" (once per download or resumption) and answers
    /// Waiting, and each later read takes at most count bytes (OtaSettings.ChunkBytes) from the response stream.
    /// So a main-loop second blocks for one connection set-up (DNS, TCP, TLS handshake: bounded by the timeout)
    /// or for a few small socket reads, never for the whole bundle.
    /// </summary>
    public sealed class HttpFirmwareDownload : IFirmwareDownload
    {
        private const int TimeoutSeconds = 10;

        private readonly HttpClient _http;
        private HttpResponseMessage _response;
        private Stream _body;
        private string _url;
        private int _position;   // file offset of the next byte _body yields
        private int _skip;       // bytes still to drop before _position (a server that ignored Range)
        private long _end;       // file offset where the response ends, or -1 when it did not say

        /// <summary>
        /// caCertificate: root CA of the download server for https URLs; null: the root CA stored in the device's
        /// network configuration (as for the broker).
        /// </summary>
        public HttpFirmwareDownload(X509Certificate caCertificate)
        {
            _http = new HttpClient();
            _http.Timeout = new TimeSpan(0, 0, TimeoutSeconds);
            _http.SslProtocols = SslProtocols.Tls12;
            if (caCertificate != null) _http.HttpsAuthentCert = caCertificate;
        }

        /// <inheritdoc />
        public int Read(string url, int position, byte[] buffer, int offset, int count)
        {
            try
            {
                if (_body == null || url != _url || position != _position) return Open(url, position);
                if (_skip > 0)
                {
                    // The whole file came (200): drop what is already staged, a chunk per call.
                    int dropped = _body.Read(buffer, offset, _skip < count ? _skip : count);
                    if (dropped <= 0) return EndOfBody();
                    _skip -= dropped;
                    return DownloadResult.Waiting;
                }
                int n = _body.Read(buffer, offset, count);
                if (n <= 0) return EndOfBody();
                _position += n;
                return n;
            }
            catch (Exception)
            {
                // Network, TLS or HTTP failure: the core retries later from the same position.
                Close();
                return DownloadResult.Failed;
            }
        }

        /// <inheritdoc />
        public void Close()
        {
            if (_response != null) _response.Dispose();
            _response = null;
            _body = null;
            _url = null;
        }

        // Sends the ranged GET. This is the call that blocks longest, so the bytes are taken on the next call.
        private int Open(string url, int position)
        {
            Close();
            var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.Add("Range", "bytes=" + position.ToString() + "-");
            HttpResponseMessage response = _http.Send(request, HttpCompletionOption.ResponseHeadersRead);
            int status = (int)response.StatusCode;
            if (status == (int)HttpStatusCode.RequestedRangeNotSatisfiable)
            {
                response.Dispose();
                return DownloadResult.EndOfFile;
            }
            if (status != (int)HttpStatusCode.PartialContent && status != (int)HttpStatusCode.OK)
            {
                response.Dispose();
                return DownloadResult.Failed;
            }
            long length = response.Content.Headers.ContentLength;
            bool ranged = status == (int)HttpStatusCode.PartialContent;
            _response = response;
            _body = response.Content.ReadAsStream();
            _url = url;
            _position = position;
            _skip = ranged ? 0 : position;
            _end = length < 0 ? -1 : (ranged ? position + length : length);
            return DownloadResult.Waiting;
        }

        // The response ended. At its announced end the file ends there; a connection that dropped before it (or a
        // response without Content-Length) is a failure, retried with a new Range request that tells the two apart.
        private int EndOfBody()
        {
            bool atEnd = _end >= 0 && _position - (long)_skip >= _end;
            Close();
            return atEnd ? DownloadResult.EndOfFile : DownloadResult.Failed;
        }
    }
}
