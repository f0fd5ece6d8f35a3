using System;

namespace Iot.Gateway.Json
{
    /// <summary>Kinds of token the JsonReader returns.</summary>
    public enum JsonToken
    {
        /// <summary>End of input.</summary>
        End = 0,
        /// <summary>'{'</summary>
        BeginObject = 1,
        /// <summary>'}'</summary>
        EndObject = 2,
        /// <summary>'['</summary>
        BeginArray = 3,
        /// <summary>']'</summary>
        EndArray = 4,
        /// <summary>An object member's name.</summary>
        PropertyName = 5,
        /// <summary>A string value.</summary>
        String = 6,
        /// <summary>A number value.</summary>
        Number = 7,
        /// <summary>true</summary>
        True = 8,
        /// <summary>false</summary>
        False = 9,
        /// <summary>null</summary>
        Null = 10,
        /// <summary>Malformed input; reading stops here.</summary>
        Error = 11
    }

    /// <summary>
    /// A small pull reader for the documents the gateway receives (configuration, commands), over UTF-8
    /// bytes. Structure is checked (nesting, commas, colons); strings are only materialised on request.
    /// </summary>
    public sealed class JsonReader
    {
        private const int MaxDepth = 16;
        private readonly byte[] _data;
        private readonly int _end;
        private readonly bool[] _inObject = new bool[MaxDepth];
        private int _pos;
        private int _depth;
        private bool _expectValue = true;
        private bool _needSeparator;
        private bool _done;
        private int _tokenStart;
        private int _tokenEnd;
        private bool _tokenEscaped;
        private double _number;

        /// <summary>Reads data[offset..offset+count).</summary>
        public JsonReader(byte[] data, int offset, int count)
        {
            if (data == null) throw new ArgumentNullException("data");
            _data = data;
            _pos = offset;
            _end = offset + count;
        }

        /// <summary>The last token returned by Read.</summary>
        public JsonToken Token { get; private set; }

        /// <summary>Nesting depth after the last token.</summary>
        public int Depth { get { return _depth; } }

        /// <summary>Value of the last Number token.</summary>
        public double NumberValue { get { return _number; } }

        /// <summary>Advances to the next token.</summary>
        public JsonToken Read()
        {
            if (Token == JsonToken.Error) return JsonToken.Error;
            SkipWhitespace();
            if (_pos >= _end)
            {
                Token = _done && _depth == 0 ? JsonToken.End : JsonToken.Error;
                return Token;
            }
            if (_done) return Fail();

            byte c = _data[_pos];
            bool inObject = _depth > 0 && _inObject[_depth];

            if (c == '}' || c == ']')
            {
                if (_depth == 0 || _inObject[_depth] != (c == '}')) return Fail();
                // An object may not close between a name and its value (commas are consumed with the next item).
                if (inObject && _expectValue) return Fail();
                _pos++;
                _depth--;
                AfterValue();
                Token = c == '}' ? JsonToken.EndObject : JsonToken.EndArray;
                return Token;
            }

            if (_needSeparator)
            {
                if (c != ',') return Fail();
                _pos++;
                _needSeparator = false;
                SkipWhitespace();
                if (_pos >= _end) return Fail();
                c = _data[_pos];
                if (c == '}' || c == ']') return Fail();
            }

            if (inObject && !_expectValue)
            {
                if (c != '"' || !ScanString()) return Fail();
                SkipWhitespace();
                if (_pos >= _end || _data[_pos] != ':') return Fail();
                _pos++;
                _expectValue = true;
                Token = JsonToken.PropertyName;
                return Token;
            }

            switch (c)
            {
                case (byte)'{':
                case (byte)'[':
                    if (_depth + 1 >= MaxDepth) return Fail();
                    _pos++;
                    _depth++;
                    _inObject[_depth] = c == '{';
                    _expectValue = c == '[';
                    _needSeparator = false;
                    Token = c == '{' ? JsonToken.BeginObject : JsonToken.BeginArray;
                    return Token;
                case (byte)'"':
                    if (!ScanString()) return Fail();
                    AfterValue();
                    Token = JsonToken.String;
                    return Token;
                case (byte)'t':
                    return Literal("true", JsonToken.True);
                case (byte)'f':
                    return Literal("false", JsonToken.False);
                case (byte)'n':
                    return Literal("null", JsonToken.Null);
                default:
                    if (c == '-' || (c >= '0' && c <= '9'))
                    {
                        if (!ScanNumber()) return Fail();
                        AfterValue();
                        Token = JsonToken.Number;
                        return Token;
                    }
                    return Fail();
            }
        }

        /// <summary>Skips the value that starts at the current token (after a PropertyName, call Read first).</summary>
        public bool SkipValue()
        {
            if (Token != JsonToken.BeginObject && Token != JsonToken.BeginArray) return Token != JsonToken.Error;
            int target = _depth - 1;
            while (_depth > target)
            {
                if (Read() == JsonToken.Error) return false;
            }
            return true;
        }

        /// <summary>True when the current PropertyName or String token equals text (ASCII comparison, no allocation).</summary>
        public bool ValueEquals(string text)
        {
            if (Token != JsonToken.PropertyName && Token != JsonToken.String) return false;
            if (_tokenEscaped) return GetString() == text;
            int length = _tokenEnd - _tokenStart;
            if (length != text.Length) return false;
            for (int i = 0; i < length; i++)
            {
                if (_data[_tokenStart + i] != text[i]) return false;
            }
            return true;
        }

        /// <summary>The current PropertyName or String token as a string (allocates).</summary>
        public string GetString()
        {
            if (Token != JsonToken.PropertyName && Token != JsonToken.String) throw new InvalidOperationException("not a string");
            char[] chars = new char[_tokenEnd - _tokenStart];
            int n = 0;
            int i = _tokenStart;
            while (i < _tokenEnd)
            {
                int b = _data[i];
                if (b == '\\')
                {
                    byte e = _data[i + 1];
                    i += 2;
                    if (e == 'u')
                    {
                        chars[n++] = (char)((HexValue(_data[i]) << 12) | (HexValue(_data[i + 1]) << 8) | (HexValue(_data[i + 2]) << 4) | HexValue(_data[i + 3]));
                        i += 4;
                    }
                    else
                    {
                        chars[n++] = Unescape(e);
                    }
                }
                else if (b < 0x80)
                {
                    chars[n++] = (char)b;
                    i++;
                }
                else if ((b & 0xE0) == 0xC0 && i + 1 < _tokenEnd)
                {
                    chars[n++] = (char)(((b & 0x1F) << 6) | (_data[i + 1] & 0x3F));
                    i += 2;
                }
                else if ((b & 0xF0) == 0xE0 && i + 2 < _tokenEnd)
                {
                    chars[n++] = (char)(((b & 0x0F) << 12) | ((_data[i + 1] & 0x3F) << 6) | (_data[i + 2] & 0x3F));
                    i += 3;
                }
                else
                {
                    chars[n++] = '?';
                    i++;
                }
            }
            return new string(chars, 0, n);
        }

        private JsonToken Fail()
        {
            Token = JsonToken.Error;
            return Token;
        }

        private void AfterValue()
        {
            if (_depth == 0)
            {
                _done = true;
                return;
            }
            _needSeparator = true;
            _expectValue = !_inObject[_depth];
        }

        private JsonToken Literal(string word, JsonToken token)
        {
            if (_end - _pos < word.Length) return Fail();
            for (int i = 0; i < word.Length; i++)
            {
                if (_data[_pos + i] != word[i]) return Fail();
            }
            _pos += word.Length;
            AfterValue();
            Token = token;
            return Token;
        }

        private void SkipWhitespace()
        {
            while (_pos < _end)
            {
                byte c = _data[_pos];
                if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return;
                _pos++;
            }
        }

        // Leaves _tokenStart/_tokenEnd around the raw contents (without quotes).
        private bool ScanString()
        {
            _pos++;
            _tokenStart = _pos;
            _tokenEscaped = false;
            while (_pos < _end)
            {
                byte c = _data[_pos];
                if (c == '"')
                {
                    _tokenEnd = _pos;
                    _pos++;
                    return true;
                }
                if (c < 0x20) return false;
                if (c == '\\')
                {
                    _tokenEscaped = true;
                    if (_pos + 1 >= _end) return false;
                    byte e = _data[_pos + 1];
                    if (e == 'u')
                    {
                        if (_pos + 5 >= _end) return false;
                        for (int k = 2; k <= 5; k++)
                        {
                            if (HexValue(_data[_pos + k]) < 0) return false;
                        }
                        _pos += 6;
                        continue;
                    }
                    if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f' && e != 'n' && e != 'r' && e != 't') return false;
                    _pos += 2;
                    continue;
                }
                _pos++;
            }
            return false;
        }

        // Strict JSON number grammar; the value is computed without allocating.
        private bool ScanNumber()
        {
            bool negative = false;
            if (_data[_pos] == '-')
            {
                negative = true;
                _pos++;
            }
            if (_pos >= _end || !IsDigit(_data[_pos])) return false;
            double mantissa = 0;
            int digits = 0;
            int scale = 0;
            if (_data[_pos] == '0')
            {
                _pos++;
            }
            else
            {
                while (_pos < _end && IsDigit(_data[_pos]))
                {
                    if (digits < 17) mantissa = mantissa * 10 + (_data[_pos] - '0');
                    else scale++;
                    digits++;
                    _pos++;
                }
            }
            if (_pos < _end && _data[_pos] == '.')
            {
                _pos++;
                if (_pos >= _end || !IsDigit(_data[_pos])) return false;
                while (_pos < _end && IsDigit(_data[_pos]))
                {
                    if (digits < 17)
                    {
                        mantissa = mantissa * 10 + (_data[_pos] - '0');
                        scale--;
                        if (mantissa != 0) digits++;
                    }
                    _pos++;
                }
            }
            if (_pos < _end && (_data[_pos] == 'e' || _data[_pos] == 'E'))
            {
                _pos++;
                bool negativeExponent = false;
                if (_pos < _end && (_data[_pos] == '+' || _data[_pos] == '-'))
                {
                    negativeExponent = _data[_pos] == '-';
                    _pos++;
                }
                if (_pos >= _end || !IsDigit(_data[_pos])) return false;
                int exponent = 0;
                while (_pos < _end && IsDigit(_data[_pos]))
                {
                    if (exponent < 10000) exponent = exponent * 10 + (_data[_pos] - '0');
                    _pos++;
                }
                scale += negativeExponent ? -exponent : exponent;
            }
            if (_pos < _end)
            {
                byte next = _data[_pos];
                if (next != ',' && next != '}' && next != ']' && next != ' ' && next != '\t' && next != '\r' && next != '\n') return false;
            }
            double value = scale == 0 ? mantissa : (scale > 0 ? mantissa * Math.Pow(10, scale) : mantissa / Math.Pow(10, -scale));
            _number = negative ? -value : value;
            return true;
        }

        private static bool IsDigit(byte c)
        {
            return c >= '0' && c <= '9';
        }

        private static int HexValue(byte c)
        {
            if (c >= '0' && c <= '9') return c - '0';
            if (c >= 'a' && c <= 'f') return c - 'a' + 10;
            if (c >= 'A' && c <= 'F') return c - 'A' + 10;
            return -1;
        }

        private static char Unescape(byte e)
        {
            switch (e)
            {
                case (byte)'b': return '\b';
                case (byte)'f': return '\f';
                case (byte)'n': return '\n';
                case (byte)'r': return '\r';
                case (byte)'t': return '\t';
                default: return (char)e;
            }
        }
    }
}
