namespace Iot.Gateway.Onboarding
{
    /// <summary>
    /// The onboarding page the hotspot serves, as HTTP responses (bytes) to requests read by
    /// <see cref="HttpRequestReader"/>. <c>GET /</c> is a small page in Chinese and English with the device id and a
    /// form for the site's Wi-Fi network; <c>POST /wifi</c> takes the form (<see cref="WifiForm"/>), hands it to
    /// <see cref="WifiOnboarding"/> and sends the browser back to <c>/</c>, which shows "joining" (refreshing itself),
    /// then the result. Every other GET, and any request for another host name (the phones' connectivity checks:
    /// <c>/generate_204</c>, <c>/hotspot-detect.html</c>, <c>/connecttest.txt</c>, … reach the gateway through
    /// <see cref="DnsResponder"/>), is redirected to the page, which is what makes a phone show it as a sign-in page.
    /// Every response closes the connection and is never cached. No scripts, no external resources.
    /// </summary>
    public sealed class CaptivePortal
    {
        /// <summary>The form's target.</summary>
        public const string WifiPath = "/wifi";

        private readonly WifiOnboarding _onboarding;
        private readonly string _deviceId;
        private readonly string _host;

        /// <summary>The page of onboarding for deviceId, served at address (the hotspot's, e.g. "192.168.4.1").</summary>
        public CaptivePortal(WifiOnboarding onboarding, string deviceId, string address)
        {
            if (onboarding == null) throw new System.ArgumentNullException("onboarding");
            _onboarding = onboarding;
            _deviceId = deviceId == null ? "" : deviceId;
            _host = address;
            PageUrl = "http://" + address + "/";
        }

        /// <summary>Where the page is: "http://192.168.4.1/" (redirects and DHCP option 114 point here).</summary>
        public string PageUrl { get; private set; }

        /// <summary>The response to a request that is complete or refused.</summary>
        public byte[] Respond(HttpRequestReader request, long nowMs)
        {
            if (request.State == HttpRequestReader.Refused)
            {
                return Page(request.RefusalStatus, Notice("error", Escape(request.Problem)), false);
            }
            if (request.State != HttpRequestReader.Complete) return Page(400, Notice("error", "请求不完整 / truncated request"), false);

            bool ours = request.Host == null || request.Host == _host;
            if (request.Method == "GET")
            {
                // The phones' background probes are redirected without counting as an installer at work.
                if (!ours || request.Path != "/") return Redirect();
                _onboarding.Touch(nowMs);
                return Page(200, StatusBlock(), FormShown());
            }

            // POST
            _onboarding.Touch(nowMs);
            if (request.Path != WifiPath || !ours) return Page(404, Notice("error", "没有这个地址 / not found"), false);
            if (request.ContentType != "application/x-www-form-urlencoded")
            {
                return Page(415, Notice("error", "表单格式不对 / the form must be application/x-www-form-urlencoded"), FormShown());
            }
            string problem;
            WifiForm form = WifiForm.Parse(request.Body, request.BodyLength, out problem);
            if (form == null) return Page(400, Notice("error", Escape(problem)), FormShown());
            if (!_onboarding.Submit(form, nowMs))
            {
                return Page(409, Notice("wait", "正在连接上一个网络，请稍候 / still joining the previous network, please wait"), false);
            }
            return SeeOther();
        }

        /// <summary>The short answer to a client that sent too much or too slowly: 408 with the page's error block.</summary>
        public byte[] Timeout()
        {
            return Page(408, Notice("error", "请求超时 / request timed out"), false);
        }

        private bool FormShown()
        {
            int state = _onboarding.State;
            return state == WifiOnboarding.Waiting;
        }

        private string StatusBlock()
        {
            int state = _onboarding.State;
            string network = Escape(_onboarding.Network);
            if (state == WifiOnboarding.Joining)
            {
                return Notice("wait", "正在连接 “" + network + "”，最多 30 秒… / Joining “" + network + "”, at most 30 s…");
            }
            if (state == WifiOnboarding.Joined)
            {
                return Notice("ok", "已连接 “" + network + "”。热点即将关闭，网关重启后开始上报数据。/ Joined “" + network
                    + "”. This hotspot closes shortly; the gateway restarts and starts reporting.");
            }
            if (state == WifiOnboarding.Waiting && _onboarding.LastJoinFailed)
            {
                return Notice("error", "无法连接 “" + network + "”：请检查名称和密码，靠近路由器后重试。/ Could not join “" + network
                    + "”: check the name and password, move closer to the router and try again.");
            }
            if (state == WifiOnboarding.Closed) return Notice("error", "配网热点已关闭 / the setup hotspot is closed");
            return "";
        }

        private static string Notice(string kind, string escapedText)
        {
            return "<p class=\"" + kind + "\">" + escapedText + "</p>";
        }

        private byte[] Page(int status, string block, bool form)
        {
            string refresh = _onboarding.State == WifiOnboarding.Joining && status == 200 ? "<meta http-equiv=\"refresh\" content=\"3\">" : "";
            string html = "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
                + "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">" + refresh
                + "<title>网关配网 / Gateway Wi-Fi setup</title><style>"
                + "body{font-family:sans-serif;margin:1em;max-width:28em}label{display:block;margin-top:1em}"
                + "input{width:100%;font-size:1.1em;padding:.4em;box-sizing:border-box}button{margin-top:1em;font-size:1.1em;padding:.5em 1.5em}"
                + ".error{color:#b00020}.ok{color:#1b5e20}.wait{color:#0d47a1}small{color:#555}"
                + "</style></head><body><h1>网关配网<br><small>Gateway Wi-Fi setup</small></h1>"
                + "<p>设备编号 / Device ID: <b>" + Escape(_deviceId) + "</b></p>"
                + "<p><small>请核对设备标签上的编号。/ Check it against the label.</small></p>"
                + block;
            if (form)
            {
                html += "<form method=\"post\" action=\"" + WifiPath + "\">"
                    + "<label>现场 Wi-Fi 名称 / Site Wi-Fi name (SSID)<input name=\"ssid\" maxlength=\"32\" required autocapitalize=\"none\" autocorrect=\"off\"></label>"
                    + "<label>密码 / Password<input name=\"password\" type=\"password\" maxlength=\"64\" autocomplete=\"off\"></label>"
                    + "<p><small>开放网络请留空密码。/ Leave the password empty for an open network.</small></p>"
                    + "<button type=\"submit\">连接 / Connect</button></form>";
            }
            html += "</body></html>";
            byte[] body = Utf8(html);
            string head = "HTTP/1.1 " + status.ToString() + " " + Reason(status) + "\r\n"
                + "Content-Type: text/html; charset=utf-8\r\n"
                + "Content-Length: " + body.Length.ToString() + "\r\n"
                + (status == 405 ? "Allow: GET, POST\r\n" : "")
                + "Cache-Control: no-store\r\nConnection: close\r\n\r\n";
            return Join(Utf8(head), body);
        }

        private byte[] Redirect()
        {
            return Utf8("HTTP/1.1 302 Found\r\nLocation: " + PageUrl + "\r\nContent-Length: 0\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n");
        }

        private byte[] SeeOther()
        {
            return Utf8("HTTP/1.1 303 See Other\r\nLocation: " + PageUrl + "\r\nContent-Length: 0\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n");
        }

        private static string Reason(int status)
        {
            switch (status)
            {
                case 200: return "OK";
                case 400: return "Bad Request";
                case 404: return "Not Found";
                case 405: return "Method Not Allowed";
                case 408: return "Request Timeout";
                case 409: return "Conflict";
                case 411: return "Length Required";
                case 413: return "Content Too Large";
                case 415: return "Unsupported Media Type";
                case 431: return "Request Header Fields Too Large";
                case 501: return "Not Implemented";
                case 505: return "HTTP Version Not Supported";
                default: return "Error";
            }
        }

        /// <summary>text with &amp;, &lt;, &gt;, quotes escaped for HTML (null: empty).</summary>
        public static string Escape(string text)
        {
            if (text == null) return "";
            string escaped = "";
            int from = 0;
            for (int i = 0; i < text.Length; i++)
            {
                string entity = null;
                char c = text[i];
                if (c == '&') entity = "&amp;";
                else if (c == '<') entity = "&lt;";
                else if (c == '>') entity = "&gt;";
                else if (c == '"') entity = "&quot;";
                else if (c == '\'') entity = "&#39;";
                if (entity == null) continue;
                escaped += text.Substring(from, i - from) + entity;
                from = i + 1;
            }
            return from == 0 ? text : escaped + text.Substring(from);
        }

        private static byte[] Join(byte[] a, byte[] b)
        {
            byte[] all = new byte[a.Length + b.Length];
            System.Array.Copy(a, 0, all, 0, a.Length);
            System.Array.Copy(b, 0, all, a.Length, b.Length);
            return all;
        }

        private static byte[] Utf8(string text)
        {
            byte[] bytes = new byte[WifiForm.Utf8Length(text)];
            int n = 0;
            for (int i = 0; i < text.Length; i++)
            {
                int c = text[i];
                if (c >= 0xD800 && c <= 0xDBFF && i + 1 < text.Length)
                {
                    c = 0x10000 + ((c - 0xD800) << 10) + (text[++i] - 0xDC00);
                }
                if (c < 0x80) bytes[n++] = (byte)c;
                else if (c < 0x800)
                {
                    bytes[n++] = (byte)(0xC0 | (c >> 6));
                    bytes[n++] = (byte)(0x80 | (c & 0x3F));
                }
                else if (c < 0x10000)
                {
                    bytes[n++] = (byte)(0xE0 | (c >> 12));
                    bytes[n++] = (byte)(0x80 | ((c >> 6) & 0x3F));
                    bytes[n++] = (byte)(0x80 | (c & 0x3F));
                }
                else
                {
                    bytes[n++] = (byte)(0xF0 | (c >> 18));
                    bytes[n++] = (byte)(0x80 | ((c >> 12) & 0x3F));
                    bytes[n++] = (byte)(0x80 | ((c >> 6) & 0x3F));
                    bytes[n++] = (byte)(0x80 | (c & 0x3F));
                }
            }
            return bytes;
        }
    }
}
