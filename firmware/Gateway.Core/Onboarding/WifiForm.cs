namespace Iot.Gateway.Onboarding
{
    /// <summary>
    /// The onboarding page's form (application/x-www-form-urlencoded: <c>ssid=…&amp;password=…</c>), decoded strictly:
    /// '+' is a space, %XX a byte, every other byte itself; the decoded bytes must be UTF-8. The network name must be
    /// 1 to 32 bytes (802.11) without control characters; the password empty (an open network), 8 to 63 printable
    /// ASCII characters (a WPA2 passphrase) or 64 hex digits (a raw key). Anything else is refused with a message in
    /// Chinese and English that the page shows beside the form.
    /// </summary>
    public sealed class WifiForm
    {
        /// <summary>Largest SSID in bytes (IEEE 802.11).</summary>
        public const int MaxSsidBytes = 32;
        /// <summary>Shortest WPA2 passphrase.</summary>
        public const int MinPassphrase = 8;
        /// <summary>Longest WPA2 passphrase (64 characters are a hex key).</summary>
        public const int MaxPassphrase = 63;
        /// <summary>Most fields a form may have (the page sends two).</summary>
        public const int MaxFields = 8;

        private WifiForm(string ssid, string password)
        {
            Ssid = ssid;
            Password = password;
        }

        /// <summary>The network name.</summary>
        public string Ssid { get; private set; }

        /// <summary>The password, empty for an open network.</summary>
        public string Password { get; private set; }

        /// <summary>Decodes body[0, length); null with problem set when it is refused.</summary>
        public static WifiForm Parse(byte[] body, int length, out string problem)
        {
            problem = null;
            string ssid = null;
            string password = null;
            int fields = 0;
            int at = 0;
            while (at < length)
            {
                int end = at;
                while (end < length && body[end] != '&') end++;
                if (end > at)
                {
                    if (++fields > MaxFields)
                    {
                        problem = "表单字段过多 / too many form fields";
                        return null;
                    }
                    int equals = at;
                    while (equals < end && body[equals] != '=') equals++;
                    string name = Decode(body, at, equals);
                    string value = equals < end ? Decode(body, equals + 1, end) : "";
                    if (name == null || value == null)
                    {
                        problem = "表单编码错误（% 后须为两位十六进制数，且须为 UTF-8） / bad form encoding (% must be followed by two hex digits, text must be UTF-8)";
                        return null;
                    }
                    if (name == "ssid")
                    {
                        if (ssid != null) { problem = "网络名称重复 / the network name was sent twice"; return null; }
                        ssid = value;
                    }
                    else if (name == "password")
                    {
                        if (password != null) { problem = "密码重复 / the password was sent twice"; return null; }
                        password = value;
                    }
                    // Other fields (a submit button's name) are ignored.
                }
                at = end + 1;
            }

            if (ssid == null || ssid.Length == 0)
            {
                problem = "请填写 Wi-Fi 名称 / enter the network name (SSID)";
                return null;
            }
            if (Utf8Length(ssid) > MaxSsidBytes)
            {
                problem = "Wi-Fi 名称最长 32 字节 / the network name is at most 32 bytes";
                return null;
            }
            for (int i = 0; i < ssid.Length; i++)
            {
                if (ssid[i] < 0x20 || ssid[i] == 0x7F)
                {
                    problem = "Wi-Fi 名称含有控制字符 / the network name contains a control character";
                    return null;
                }
            }
            if (password == null) password = "";
            if (password.Length > 0 && !IsPassphrase(password) && !IsHexKey(password))
            {
                problem = "密码须为 8 到 63 个英文字符（或 64 位十六进制），开放网络留空 / the password must be 8 to 63 ASCII characters (or 64 hex digits); leave it empty for an open network";
                return null;
            }
            return new WifiForm(ssid, password);
        }

        private static bool IsPassphrase(string password)
        {
            if (password.Length < MinPassphrase || password.Length > MaxPassphrase) return false;
            for (int i = 0; i < password.Length; i++)
            {
                if (password[i] < 0x20 || password[i] > 0x7E) return false;
            }
            return true;
        }

        private static bool IsHexKey(string password)
        {
            if (password.Length != 64) return false;
            for (int i = 0; i < password.Length; i++)
            {
                if (HexValue(password[i]) < 0) return false;
            }
            return true;
        }

        // Percent-decodes [from, end) to bytes and those as strict UTF-8; null when either is broken.
        private static string Decode(byte[] data, int from, int end)
        {
            byte[] bytes = new byte[end - from];
            int n = 0;
            for (int i = from; i < end; i++)
            {
                int b = data[i];
                if (b == '+') b = ' ';
                else if (b == '%')
                {
                    if (i + 2 >= end) return null;
                    int high = HexValue((char)data[i + 1]);
                    int low = HexValue((char)data[i + 2]);
                    if (high < 0 || low < 0) return null;
                    b = (high << 4) | low;
                    i += 2;
                }
                bytes[n++] = (byte)b;
            }
            return StrictUtf8(bytes, n);
        }

        /// <summary>Decodes UTF-8 that is well formed (no overlong forms, surrogates or values above U+10FFFF); else null.</summary>
        public static string StrictUtf8(byte[] bytes, int count)
        {
            char[] chars = new char[count];
            int n = 0;
            int i = 0;
            while (i < count)
            {
                int b = bytes[i];
                if (b < 0x80)
                {
                    chars[n++] = (char)b;
                    i++;
                    continue;
                }
                int size = (b & 0xE0) == 0xC0 ? 2 : (b & 0xF0) == 0xE0 ? 3 : (b & 0xF8) == 0xF0 ? 4 : 0;
                if (size == 0 || i + size > count) return null;
                int c = size == 2 ? b & 0x1F : size == 3 ? b & 0x0F : b & 0x07;
                for (int k = 1; k < size; k++)
                {
                    int next = bytes[i + k];
                    if ((next & 0xC0) != 0x80) return null;
                    c = (c << 6) | (next & 0x3F);
                }
                int least = size == 2 ? 0x80 : size == 3 ? 0x800 : 0x10000;
                if (c < least || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return null;
                i += size;
                if (c >= 0x10000)
                {
                    c -= 0x10000;
                    chars[n++] = (char)(0xD800 + (c >> 10));
                    chars[n++] = (char)(0xDC00 + (c & 0x3FF));
                }
                else
                {
                    chars[n++] = (char)c;
                }
            }
            return new string(chars, 0, n);
        }

        /// <summary>Bytes of text in UTF-8.</summary>
        public static int Utf8Length(string text)
        {
            int n = 0;
            for (int i = 0; i < text.Length; i++)
            {
                int c = text[i];
                if (c < 0x80) n += 1;
                else if (c < 0x800) n += 2;
                else if (c >= 0xD800 && c <= 0xDBFF && i + 1 < text.Length) { n += 4; i++; }
                else n += 3;
            }
            return n;
        }

        private static int HexValue(char c)
        {
            if (c >= '0' && c <= '9') return c - '0';
            if (c >= 'a' && c <= 'f') return c - 'a' + 10;
            if (c >= 'A' && c <= 'F') return c - 'A' + 10;
            return -1;
        }
    }
}
