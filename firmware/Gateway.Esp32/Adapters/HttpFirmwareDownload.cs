using System;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using Iot.Gateway.Hardware;

namespace Iot.Gateway.Esp32.Adapters
{
    /// <summary>
    /// IFirmwareDownload over nanoFramework's HttpClient. It keeps one response open: a read at a new position sends
    /// one GET with "Range: bytes=position-" (once per download or resumption) on a worker thread and answers Waiting
    /// until the response headers are in, so the connection set-up (DNS, TCP, TLS handshake, up to the timeout) never
    /// holds up the main loop; each later read takes at most count bytes (OtaSettings.ChunkBytes) from the response
    /// stream, a few small socket reads.
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

        // The request on the worker: while it runs the fields above belong to it.
        private const int Idle = 0;
        private const int Opening = 1;
        private const int Opened = 2;
        private readonly object _sync = new object();
        private int _state;
        private bool _abandoned;     // Close came while the request ran: its response is dropped when it is in
        private int _openResult;
        private string _openUrl;
        private int _openPosition;

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
            lock (_sync)
            {
                if (_state == Opening) return DownloadResult.Waiting;
                if (_state == Opened)
                {
                    _state = Idle;
                    if (_openResult != DownloadResult.Waiting) return _openResult;
                }
            }
            try
            {
                if (_body == null || url != _url || position != _position)
                {
                    StartOpening(url, position);
                    return DownloadResult.Waiting;
                }
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
                Drop();
                return DownloadResult.Failed;
            }
        }

        /// <inheritdoc />
        public void Close()
        {
            lock (_sync)
            {
                if (_state == Opening)
                {
                    _abandoned = true;
                    return;
                }
                _state = Idle;
            }
            Drop();
        }

        private void Drop()
        {
            if (_response != null) _response.Dispose();
            _response = null;
            _body = null;
            _url = null;
        }

        private void StartOpening(string url, int position)
        {
            Drop();
            lock (_sync)
            {
                _state = Opening;
                _abandoned = false;
                _openUrl = url;
                _openPosition = position;
            }
            new Thread(SendRequest).Start();
        }

        // The worker: sends the request, then hands the outcome to the next Read (or drops it after a Close).
        private void SendRequest()
        {
            int result;
            try
            {
                result = Open(_openUrl, _openPosition);
            }
            catch (Exception)
            {
                Drop();
                result = DownloadResult.Failed;
            }
            lock (_sync)
            {
                if (_abandoned)
                {
                    Drop();
                    _state = Idle;
                    return;
                }
                _openResult = result;
                _state = Opened;
            }
        }

        // Sends the ranged GET (on the worker); Waiting when the response is ready to be read.
        private int Open(string url, int position)
        {
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
            Drop();
            return atEnd ? DownloadResult.EndOfFile : DownloadResult.Failed;
        }
    }
}
