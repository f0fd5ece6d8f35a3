using System;

namespace Iot.Gateway.Onboarding
{
    /// <summary>
    /// Reads one HTTP/1.x request of the onboarding page from bytes in any split, within fixed limits: the request line
    /// and headers at most <see cref="MaxHeaderBytes"/> in <see cref="MaxHeaderLines"/> lines, a body only with a
    /// Content-Length of at most <see cref="MaxBodyBytes"/>. A request outside them is refused with the HTTP status
    /// that says why (<see cref="RefusalStatus"/>) as soon as that is known, so a client cannot make the gateway buffer
    /// more than these few kilobytes. One request per connection (the page answers with "Connection: close").
    /// </summary>
    public sealed class HttpRequestReader
    {
        /// <summary>Request line plus headers, with their line ends.</summary>
        public const int MaxHeaderBytes = 2048;
        /// <summary>Header lines after the request line.</summary>
        public const int MaxHeaderLines = 24;
        /// <summary>Largest body: the Wi-Fi form is at most a few hundred bytes even fully percent-encoded.</summary>
        public const int MaxBodyBytes = 1024;
        /// <summary>Longest request target (path and query).</summary>
        public const int MaxTargetLength = 256;

        /// <summary>State: more bytes are needed.</summary>
        public const int NeedMore = 0;
        /// <summary>State: a whole request has been read.</summary>
        public const int Complete = 1;
        /// <summary>State: the request is refused; <see cref="RefusalStatus"/> and <see cref="Problem"/> say why.</summary>
        public const int Refused = 2;

        private readonly byte[] _head = new byte[MaxHeaderBytes];
        private int _headLength;
        private byte[] _body;
        private int _bodyLength;
        private bool _inBody;

        /// <summary>A reader for one request.</summary>
        public HttpRequestReader()
        {
            Reset();
        }

        /// <summary>NeedMore, Complete or Refused.</summary>
        public int State { get; private set; }

        /// <summary>The method ("GET", "POST", …) once the request line has been read.</summary>
        public string Method { get; private set; }

        /// <summary>The path of the request target, without the query ("/", "/wifi", "/generate_204").</summary>
        public string Path { get; private set; }

        /// <summary>The Host header without a port, or null.</summary>
        public string Host { get; private set; }

        /// <summary>The Content-Type header's media type in lower case without parameters, or null.</summary>
        public string ContentType { get; private set; }

        /// <summary>The body (Complete only); its first <see cref="BodyLength"/> bytes count.</summary>
        public byte[] Body { get { return _body; } }

        /// <summary>Bytes of <see cref="Body"/>.</summary>
        public int BodyLength { get { return _bodyLength; } }

        /// <summary>The HTTP status of a refusal: 400, 405, 411, 413, 431, 501 or 505.</summary>
        public int RefusalStatus { get; private set; }

        /// <summary>Why the request was refused, in Chinese and English.</summary>
        public string Problem { get; private set; }

        /// <summary>Forgets the request read so far.</summary>
        public void Reset()
        {
            _headLength = 0;
            _body = null;
            _bodyLength = 0;
            _inBody = false;
            State = NeedMore;
            Method = null;
            Path = null;
            Host = null;
            ContentType = null;
            RefusalStatus = 0;
            Problem = null;
        }

        /// <summary>Takes received bytes; returns the state. Bytes after a complete or refused request are ignored.</summary>
        public int Push(byte[] data, int offset, int count)
        {
            int i = offset;
            int end = offset + count;
            while (i < end && State == NeedMore)
            {
                if (_inBody)
                {
                    int n = end - i;
                    if (n > _body.Length - _bodyLength) n = _body.Length - _bodyLength;
                    Array.Copy(data, i, _body, _bodyLength, n);
                    _bodyLength += n;
                    i += n;
                    if (_bodyLength == _body.Length) State = Complete;
                    continue;
                }
                if (_headLength == _head.Length)
                {
                    Refuse(431, "请求头过长 / request headers too large");
                    break;
                }
                _head[_headLength++] = data[i++];
                if (EndsHead()) ParseHead();
            }
            return State;
        }

        /// <summary>The client closed its side: a request still incomplete is refused as truncated.</summary>
        public int EndOfStream()
        {
            if (State == NeedMore) Refuse(400, "请求不完整 / truncated request");
            return State;
        }

        private bool EndsHead()
        {
            int n = _headLength;
            if (n >= 2 && _head[n - 1] == '\n' && _head[n - 2] == '\n') return true;
            return n >= 4 && _head[n - 1] == '\n' && _head[n - 2] == '\r' && _head[n - 3] == '\n' && _head[n - 4] == '\r';
        }

        private void ParseHead()
        {
            int at = 0;
            int lineEnd = LineEnd(at);
            if (!ParseRequestLine(at, lineEnd)) return;
            at = Next(lineEnd);

            int lines = 0;
            int contentLength = -1;
            while (true)
            {
                lineEnd = LineEnd(at);
                if (lineEnd == at) break; // the empty line
                if (++lines > MaxHeaderLines)
                {
                    Refuse(431, "请求头过多 / too many request headers");
                    return;
                }
                if (_head[at] == ' ' || _head[at] == '\t')
                {
                    Refuse(400, "不支持折行的请求头 / folded header lines are not accepted");
                    return;
                }
                int colon = -1;
                for (int k = at; k < lineEnd; k++)
                {
                    if (_head[k] == ':') { colon = k; break; }
                    if (!IsTokenChar(_head[k])) break;
                }
                if (colon <= at)
                {
                    Refuse(400, "请求头格式错误 / malformed header line");
                    return;
                }
                string value = Ascii(SkipSpace(colon + 1, lineEnd), TrimSpace(colon + 1, lineEnd));
                if (value == null)
                {
                    Refuse(400, "请求头含有控制字符 / control character in a header");
                    return;
                }
                if (NameIs(at, colon, "content-length"))
                {
                    int length = Digits(value);
                    if (length < 0 || (contentLength >= 0 && length != contentLength))
                    {
                        Refuse(400, "Content-Length 无效 / invalid Content-Length");
                        return;
                    }
                    contentLength = length;
                }
                else if (NameIs(at, colon, "transfer-encoding"))
                {
                    Refuse(501, "不支持分块传输 / Transfer-Encoding is not supported");
                    return;
                }
                else if (NameIs(at, colon, "host"))
                {
                    int port = value.IndexOf(':');
                    Host = (port >= 0 ? value.Substring(0, port) : value).ToLower();
                }
                else if (NameIs(at, colon, "content-type"))
                {
                    int semicolon = value.IndexOf(';');
                    ContentType = (semicolon >= 0 ? value.Substring(0, semicolon) : value).Trim().ToLower();
                }
                at = Next(lineEnd);
            }

            if (Method == "POST")
            {
                if (contentLength < 0)
                {
                    Refuse(411, "缺少 Content-Length / Content-Length required");
                    return;
                }
                if (contentLength > MaxBodyBytes)
                {
                    Refuse(413, "提交内容过长 / form too large");
                    return;
                }
            }
            else if (contentLength > 0)
            {
                Refuse(400, "GET 请求不应带内容 / a GET request has no body");
                return;
            }

            if (contentLength <= 0)
            {
                _body = new byte[0];
                State = Complete;
                return;
            }
            _body = new byte[contentLength];
            _inBody = true;
        }

        private bool ParseRequestLine(int at, int end)
        {
            int space1 = IndexOf((byte)' ', at, end);
            int space2 = space1 < 0 ? -1 : IndexOf((byte)' ', space1 + 1, end);
            if (space1 <= at || space2 <= space1 + 1 || IndexOf((byte)' ', space2 + 1, end) >= 0)
            {
                Refuse(400, "请求行格式错误 / malformed request line");
                return false;
            }
            for (int k = at; k < space1; k++)
            {
                if (_head[k] < 'A' || _head[k] > 'Z' || space1 - at > 7)
                {
                    Refuse(400, "请求方法无效 / invalid method");
                    return false;
                }
            }
            Method = Ascii(at, space1);
            if (Method != "GET" && Method != "POST")
            {
                Refuse(405, "只接受 GET 和 POST / only GET and POST are accepted");
                return false;
            }
            string version = Ascii(space2 + 1, end);
            if (version != "HTTP/1.1" && version != "HTTP/1.0")
            {
                Refuse(505, "只支持 HTTP/1.x / only HTTP/1.0 and 1.1 are supported");
                return false;
            }
            if (space2 - space1 - 1 > MaxTargetLength)
            {
                Refuse(400, "网址过长 / request target too long");
                return false;
            }
            string target = Ascii(space1 + 1, space2);
            if (target == null)
            {
                Refuse(400, "网址含有控制字符 / control character in the request target");
                return false;
            }
            // Absolute form (a proxy-style "http://host/path"): keep the path.
            if (target.StartsWith("http://"))
            {
                int slash = target.IndexOf('/', 7);
                target = slash < 0 ? "/" : target.Substring(slash);
            }
            if (target.Length == 0 || target[0] != '/')
            {
                Refuse(400, "网址无效 / invalid request target");
                return false;
            }
            int query = target.IndexOf('?');
            Path = query >= 0 ? target.Substring(0, query) : target;
            return true;
        }

        private void Refuse(int status, string problem)
        {
            RefusalStatus = status;
            Problem = problem;
            State = Refused;
        }

        private int LineEnd(int at)
        {
            int k = at;
            while (_head[k] != '\n') k++;
            return k > at && _head[k - 1] == '\r' ? k - 1 : k;
        }

        private int Next(int lineEnd)
        {
            return _head[lineEnd] == '\r' ? lineEnd + 2 : lineEnd + 1;
        }

        private int IndexOf(byte b, int from, int end)
        {
            for (int k = from; k < end; k++) if (_head[k] == b) return k;
            return -1;
        }

        private int SkipSpace(int from, int end)
        {
            while (from < end && (_head[from] == ' ' || _head[from] == '\t')) from++;
            return from;
        }

        private int TrimSpace(int from, int end)
        {
            while (end > from && (_head[end - 1] == ' ' || _head[end - 1] == '\t')) end--;
            return end;
        }

        private bool NameIs(int from, int end, string lowerName)
        {
            if (end - from != lowerName.Length) return false;
            for (int k = 0; k < lowerName.Length; k++)
            {
                int c = _head[from + k];
                if (c >= 'A' && c <= 'Z') c += 'a' - 'A';
                if (c != lowerName[k]) return false;
            }
            return true;
        }

        // Printable ASCII (and tab) as a string; null when a control character or a non-ASCII byte is in the way.
        private string Ascii(int from, int end)
        {
            if (end < from) end = from;
            char[] chars = new char[end - from];
            for (int k = from; k < end; k++)
            {
                int c = _head[k];
                if ((c < 0x20 && c != '\t') || c >= 0x7F) return null;
                chars[k - from] = (char)c;
            }
            return new string(chars);
        }

        private static int Digits(string value)
        {
            if (value == null || value.Length == 0 || value.Length > 9) return -1;
            int n = 0;
            for (int k = 0; k < value.Length; k++)
            {
                char c = value[k];
                if (c < '0' || c > '9') return -1;
                n = n * 10 + (c - '0');
            }
            return n;
        }

        private static bool IsTokenChar(byte c)
        {
            if (c >= 'a' && c <= 'z') return true;
            if (c >= 'A' && c <= 'Z') return true;
            if (c >= '0' && c <= '9') return true;
            return c == '-' || c == '_' || c == '.' || c == '!' || c == '#' || c == '$' || c == '%' || c == '&' || c == '\''
                || c == '*' || c == '+' || c == '^' || c == '`' || c == '|' || c == '~';
        }
    }
}
