using System;

namespace Iot.Gateway.Json
{
    /// <summary>
    /// Writes compact UTF-8 JSON into a caller-owned byte buffer: no strings built, no allocation.
    /// Numbers are written in fixed-point with invariant formatting and never with an exponent.
    /// When the buffer is full, Overflowed turns true and further writes are ignored.
    /// </summary>
    public sealed class JsonWriter
    {
        private const int MaxDepth = 16;
        private const int MaxDecimals = 6;
        private readonly byte[] _buffer;
        private readonly bool[] _hasItems = new bool[MaxDepth];
        private readonly byte[] _digits = new byte[24];
        private int _depth;
        private bool _afterName;

        /// <summary>Creates a writer over buffer (the whole buffer is usable).</summary>
        public JsonWriter(byte[] buffer)
        {
            if (buffer == null) throw new ArgumentNullException("buffer");
            _buffer = buffer;
        }

        /// <summary>Bytes written so far.</summary>
        public int Length { get; private set; }

        /// <summary>The buffer written into.</summary>
        public byte[] Buffer { get { return _buffer; } }

        /// <summary>True once something did not fit.</summary>
        public bool Overflowed { get; private set; }

        /// <summary>Starts again at the beginning of the buffer.</summary>
        public void Reset()
        {
            Length = 0;
            _depth = 0;
            _afterName = false;
            Overflowed = false;
        }

        /// <summary>Opaque position for Rewind: everything written after it can be taken back.</summary>
        public int Mark()
        {
            return Length | (_depth << 24) | ((_hasItems[_depth] ? 1 : 0) << 30);
        }

        /// <summary>Takes back everything written since Mark (only within the same container).</summary>
        public void Rewind(int mark)
        {
            Length = mark & 0xFFFFFF;
            _depth = (mark >> 24) & 0x3F;
            _hasItems[_depth] = ((mark >> 30) & 1) != 0;
            _afterName = false;
            Overflowed = false;
        }

        /// <summary>Writes '{'.</summary>
        public void BeginObject()
        {
            BeforeValue();
            Put((byte)'{');
            Push();
        }

        /// <summary>Writes '}'.</summary>
        public void EndObject()
        {
            _depth--;
            Put((byte)'}');
        }

        /// <summary>Writes '['.</summary>
        public void BeginArray()
        {
            BeforeValue();
            Put((byte)'[');
            Push();
        }

        /// <summary>Writes ']'.</summary>
        public void EndArray()
        {
            _depth--;
            Put((byte)']');
        }

        /// <summary>Writes a property name and the colon.</summary>
        public void Name(string name)
        {
            BeforeValue();
            PutQuoted(name);
            Put((byte)':');
            _afterName = true;
        }

        /// <summary>Writes a string value.</summary>
        public void String(string value)
        {
            BeforeValue();
            if (value == null)
            {
                PutAscii("null");
                return;
            }
            PutQuoted(value);
        }

        /// <summary>Writes true or false.</summary>
        public void Bool(bool value)
        {
            BeforeValue();
            PutAscii(value ? "true" : "false");
        }

        /// <summary>Writes an integer.</summary>
        public void Number(long value)
        {
            BeforeValue();
            PutInteger(value);
        }

        /// <summary>
        /// Writes value rounded to at most decimals places, trailing zeros dropped, no exponent.
        /// NaN and infinities have no JSON form and throw.
        /// </summary>
        public void Number(double value, int decimals)
        {
            if (double.IsNaN(value) || double.IsInfinity(value)) throw new ArgumentOutOfRangeException("value");
            if (decimals < 0 || decimals > MaxDecimals) throw new ArgumentOutOfRangeException("decimals");
            if (value >= 9.0e15 || value <= -9.0e15) throw new ArgumentOutOfRangeException("value");
            BeforeValue();

            long scale = 1;
            for (int i = 0; i < decimals; i++) scale *= 10;
            bool negative = value < 0;
            double magnitude = negative ? -value : value;
            long scaled = (long)Math.Floor(magnitude * scale + 0.5);
            if (scaled > 9000000000000000000L / 10) throw new ArgumentOutOfRangeException("value");

            long whole = scaled / scale;
            long fraction = scaled % scale;
            if (negative && scaled != 0) Put((byte)'-');
            PutInteger(whole);
            if (fraction == 0) return;

            int places = decimals;
            while (fraction % 10 == 0)
            {
                fraction /= 10;
                places--;
            }
            Put((byte)'.');
            long divisor = 1;
            for (int i = 1; i < places; i++) divisor *= 10;
            while (divisor > 0)
            {
                Put((byte)('0' + (int)(fraction / divisor % 10)));
                divisor /= 10;
            }
        }

        /// <summary>Writes bytes[offset..offset+count) as a string of lower-case hex digits, without allocating.</summary>
        public void HexString(byte[] bytes, int offset, int count)
        {
            BeforeValue();
            Put((byte)'"');
            for (int i = 0; i < count; i++)
            {
                int b = bytes[offset + i];
                int hi = b >> 4;
                int lo = b & 15;
                Put((byte)(hi < 10 ? '0' + hi : 'a' + hi - 10));
                Put((byte)(lo < 10 ? '0' + lo : 'a' + lo - 10));
            }
            Put((byte)'"');
        }

        /// <summary>Writes raw bytes that are already valid JSON.</summary>
        public void Raw(string json)
        {
            BeforeValue();
            PutAscii(json);
        }

        private void Push()
        {
            _depth++;
            if (_depth >= MaxDepth) throw new InvalidOperationException("JSON nested too deeply");
            _hasItems[_depth] = false;
        }

        private void BeforeValue()
        {
            if (_afterName)
            {
                _afterName = false;
                return;
            }
            if (_depth > 0)
            {
                if (_hasItems[_depth]) Put((byte)',');
                _hasItems[_depth] = true;
            }
        }

        private void PutInteger(long value)
        {
            if (value == long.MinValue) throw new ArgumentOutOfRangeException("value");
            if (value < 0)
            {
                Put((byte)'-');
                value = -value;
            }
            int n = 0;
            do
            {
                _digits[n++] = (byte)('0' + (int)(value % 10));
                value /= 10;
            }
            while (value > 0);
            while (n > 0) Put(_digits[--n]);
        }

        private void PutAscii(string text)
        {
            for (int i = 0; i < text.Length; i++) Put((byte)text[i]);
        }

        private void PutQuoted(string text)
        {
            Put((byte)'"');
            for (int i = 0; i < text.Length; i++)
            {
                char c = text[i];
                if (c == '"' || c == '\\')
                {
                    Put((byte)'\\');
                    Put((byte)c);
                }
                else if (c < 0x20)
                {
                    PutAscii("\\u00");
                    Put(Hex(c >> 4));
                    Put(Hex(c & 0xF));
                }
                else if (c < 0x80)
                {
                    Put((byte)c);
                }
                else if (c < 0x800)
                {
                    Put((byte)(0xC0 | (c >> 6)));
                    Put((byte)(0x80 | (c & 0x3F)));
                }
                else if (c >= 0xD800 && c <= 0xDBFF && i + 1 < text.Length && text[i + 1] >= 0xDC00 && text[i + 1] <= 0xDFFF)
                {
                    int code = 0x10000 + ((c - 0xD800) << 10) + (text[i + 1] - 0xDC00);
                    i++;
                    Put((byte)(0xF0 | (code >> 18)));
                    Put((byte)(0x80 | ((code >> 12) & 0x3F)));
                    Put((byte)(0x80 | ((code >> 6) & 0x3F)));
                    Put((byte)(0x80 | (code & 0x3F)));
                }
                else
                {
                    Put((byte)(0xE0 | (c >> 12)));
                    Put((byte)(0x80 | ((c >> 6) & 0x3F)));
                    Put((byte)(0x80 | (c & 0x3F)));
                }
            }
            Put((byte)'"');
        }

        private static byte Hex(int nibble)
        {
            return (byte)(nibble < 10 ? '0' + nibble : 'a' + nibble - 10);
        }

        private void Put(byte b)
        {
            if (Length >= _buffer.Length)
            {
                Overflowed = true;
                return;
            }
            _buffer[Length++] = b;
        }
    }
}
