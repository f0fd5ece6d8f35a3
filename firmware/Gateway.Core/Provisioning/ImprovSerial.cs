using System;
using Iot.Gateway.Hardware;

namespace Iot.Gateway.Provisioning
{
    /// <summary>
    /// Wi-Fi onboarding over a serial port with the Improv Wi-Fi serial protocol (https://www.improv-wifi.com/serial/),
    /// so an installer can give the gateway its Wi-Fi network from a browser page that speaks Improv (Web Serial).
    /// A packet is "IMPROV", version 1, type, length, data, and a checksum = the low byte of the sum of every byte
    /// before it. The client sends RPC commands (type 3: command, data length, data); the device answers with its
    /// current state (type 1), an error state (type 2) and RPC results (type 4: command, data length, then
    /// length-prefixed UTF-8 strings). Supported: send Wi-Fi settings, request current state, request device
    /// information; other commands get "unknown RPC command". Bytes that are not Improv (console output, noise) are
    /// skipped. Poll it from the main loop; it allocates only when a command carries strings.
    /// </summary>
    public sealed class ImprovSerial
    {
        /// <summary>Protocol version this implementation speaks.</summary>
        public const byte Version = 1;

        /// <summary>Packet type: current state (device to client).</summary>
        public const byte TypeCurrentState = 0x01;
        /// <summary>Packet type: error state (device to client).</summary>
        public const byte TypeErrorState = 0x02;
        /// <summary>Packet type: RPC command (client to device).</summary>
        public const byte TypeRpcCommand = 0x03;
        /// <summary>Packet type: RPC result (device to client).</summary>
        public const byte TypeRpcResult = 0x04;

        /// <summary>RPC: send Wi-Fi settings (data: ssid length, ssid, password length, password).</summary>
        public const byte CommandWifiSettings = 0x01;
        /// <summary>RPC: request current state.</summary>
        public const byte CommandCurrentState = 0x02;
        /// <summary>RPC: request device information.</summary>
        public const byte CommandDeviceInfo = 0x03;

        /// <summary>State: ready to accept credentials.</summary>
        public const byte StateReady = 0x02;
        /// <summary>State: credentials received, connecting.</summary>
        public const byte StateProvisioning = 0x03;
        /// <summary>State: connected.</summary>
        public const byte StateProvisioned = 0x04;

        /// <summary>Error: none.</summary>
        public const byte ErrorNone = 0x00;
        /// <summary>Error: the RPC packet was malformed (bad checksum or lengths).</summary>
        public const byte ErrorInvalidRpc = 0x01;
        /// <summary>Error: the command is not known.</summary>
        public const byte ErrorUnknownRpc = 0x02;
        /// <summary>Error: the network could not be joined with the credentials received.</summary>
        public const byte ErrorUnableToConnect = 0x03;

        /// <summary>How long joining a network may take.</summary>
        public const int JoinTimeoutMs = 30000;

        private const int HeaderBytes = 9; // "IMPROV", version, type, length
        private const int MaxPacketBytes = HeaderBytes + 255 + 1;
        private static readonly byte[] Magic = new byte[] { (byte)'I', (byte)'M', (byte)'P', (byte)'R', (byte)'O', (byte)'V' };

        private readonly ISerialLink _serial;
        private readonly IWifiStation _wifi;
        private readonly string[] _deviceInfo;
        private readonly byte[] _rx = new byte[MaxPacketBytes];
        private readonly byte[] _tx = new byte[MaxPacketBytes];
        private readonly byte[] _read = new byte[64];
        private readonly string[] _noStrings = new string[0];
        private int _rxLength;

        /// <summary>
        /// Serves Improv on serial, joining networks through wifi. The device information answers "request device
        /// information": firmware name, firmware version, hardware (chip/variant) and device name.
        /// </summary>
        public ImprovSerial(ISerialLink serial, IWifiStation wifi, string firmwareName, string firmwareVersion, string hardware, string deviceName)
        {
            if (serial == null || wifi == null) throw new ArgumentNullException("serial");
            _serial = serial;
            _wifi = wifi;
            _deviceInfo = new string[] { firmwareName, firmwareVersion, hardware, deviceName };
        }

        /// <summary>The Improv state the client sees now.</summary>
        public byte State { get { return _wifi.IsConnected ? StateProvisioned : StateReady; } }

        /// <summary>Wi-Fi settings received and joined successfully since start.</summary>
        public int NetworksJoined { get; private set; }

        /// <summary>Reads what the serial port holds (without waiting) and answers every complete command.</summary>
        public void Poll()
        {
            int n;
            while ((n = _serial.Read(_read, 0, _read.Length, 0)) > 0) Push(_read, 0, n);
        }

        /// <summary>Feeds received bytes (any split) into the packet reader; complete commands are answered at once.</summary>
        public void Push(byte[] data, int offset, int count)
        {
            for (int i = offset; i < offset + count; i++) Take(data[i]);
        }

        private void Take(byte b)
        {
            if (_rxLength < Magic.Length)
            {
                if (b == Magic[_rxLength]) _rx[_rxLength++] = b;
                else _rxLength = b == Magic[0] ? 1 : 0; // resynchronise on the next "IMPROV"
                if (_rxLength == 1) _rx[0] = b;
                return;
            }
            _rx[_rxLength++] = b;
            if (_rxLength == Magic.Length + 1 && b != Version)
            {
                _rxLength = 0; // another protocol version: not for us
                return;
            }
            if (_rxLength < HeaderBytes) return;
            int dataLength = _rx[HeaderBytes - 1];
            if (_rxLength < HeaderBytes + dataLength + 1) return;
            _rxLength = 0;
            Handle(dataLength);
        }

        private void Handle(int dataLength)
        {
            byte type = _rx[Magic.Length + 1];
            if (Checksum(_rx, HeaderBytes + dataLength) != _rx[HeaderBytes + dataLength])
            {
                SendError(ErrorInvalidRpc);
                return;
            }
            if (type != TypeRpcCommand) return; // only RPC commands travel from client to device

            // RPC: command, data length, data; the data length must fit the packet exactly.
            if (dataLength < 2 || _rx[HeaderBytes + 1] != dataLength - 2)
            {
                SendError(ErrorInvalidRpc);
                return;
            }
            byte command = _rx[HeaderBytes];
            int args = HeaderBytes + 2;
            int argsLength = dataLength - 2;
            SendError(ErrorNone);
            switch (command)
            {
                case CommandWifiSettings:
                    JoinNetwork(args, argsLength);
                    break;
                case CommandCurrentState:
                    SendState(State);
                    if (State == StateProvisioned) SendResult(CommandCurrentState, _noStrings);
                    break;
                case CommandDeviceInfo:
                    SendResult(CommandDeviceInfo, _deviceInfo);
                    break;
                default:
                    SendError(ErrorUnknownRpc);
                    break;
            }
        }

        private void JoinNetwork(int at, int length)
        {
            // ssid length, ssid, password length, password
            if (length < 2) { SendError(ErrorInvalidRpc); return; }
            int ssidLength = _rx[at];
            if (ssidLength == 0 || 1 + ssidLength + 1 > length) { SendError(ErrorInvalidRpc); return; }
            int passwordLength = _rx[at + 1 + ssidLength];
            if (1 + ssidLength + 1 + passwordLength != length) { SendError(ErrorInvalidRpc); return; }
            string ssid = Utf8(_rx, at + 1, ssidLength);
            string password = Utf8(_rx, at + 2 + ssidLength, passwordLength);

            SendState(StateProvisioning);
            if (_wifi.Join(ssid, password, JoinTimeoutMs))
            {
                NetworksJoined++;
                SendState(StateProvisioned);
                SendResult(CommandWifiSettings, _noStrings); // no web page on the gateway to redirect to
            }
            else
            {
                SendError(ErrorUnableToConnect);
                SendState(StateReady);
            }
        }

        private void SendState(byte state)
        {
            _tx[HeaderBytes] = state;
            Send(TypeCurrentState, 1);
        }

        private void SendError(byte error)
        {
            _tx[HeaderBytes] = error;
            Send(TypeErrorState, 1);
        }

        private void SendResult(byte command, string[] strings)
        {
            int at = HeaderBytes + 2;
            int end = _tx.Length - 1;
            for (int s = 0; s < strings.Length; s++)
            {
                string text = strings[s] == null ? "" : strings[s];
                int length = PutUtf8(text, _tx, at + 1, end);
                if (length < 0 || length > 255) break; // leave out what does not fit one packet
                _tx[at] = (byte)length;
                at += 1 + length;
            }
            int dataLength = at - HeaderBytes;
            _tx[HeaderBytes] = command;
            _tx[HeaderBytes + 1] = (byte)(dataLength - 2);
            Send(TypeRpcResult, dataLength);
        }

        private void Send(byte type, int dataLength)
        {
            for (int i = 0; i < Magic.Length; i++) _tx[i] = Magic[i];
            _tx[Magic.Length] = Version;
            _tx[Magic.Length + 1] = type;
            _tx[HeaderBytes - 1] = (byte)dataLength;
            _tx[HeaderBytes + dataLength] = Checksum(_tx, HeaderBytes + dataLength);
            _serial.Write(_tx, 0, HeaderBytes + dataLength + 1);
        }

        /// <summary>The Improv checksum: low byte of the sum of bytes [0, count).</summary>
        public static byte Checksum(byte[] packet, int count)
        {
            int sum = 0;
            for (int i = 0; i < count; i++) sum += packet[i];
            return (byte)sum;
        }

        // UTF-8 into buffer[at..end); returns the byte count, or -1 when it does not fit.
        private static int PutUtf8(string text, byte[] buffer, int at, int end)
        {
            int n = at;
            for (int i = 0; i < text.Length; i++)
            {
                int c = text[i];
                if (c >= 0xD800 && c <= 0xDBFF && i + 1 < text.Length)
                {
                    c = 0x10000 + ((c - 0xD800) << 10) + (text[++i] - 0xDC00);
                }
                int size = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
                if (n + size > end) return -1;
                if (size == 1) buffer[n++] = (byte)c;
                else if (size == 2)
                {
                    buffer[n++] = (byte)(0xC0 | (c >> 6));
                    buffer[n++] = (byte)(0x80 | (c & 0x3F));
                }
                else if (size == 3)
                {
                    buffer[n++] = (byte)(0xE0 | (c >> 12));
                    buffer[n++] = (byte)(0x80 | ((c >> 6) & 0x3F));
                    buffer[n++] = (byte)(0x80 | (c & 0x3F));
                }
                else
                {
                    buffer[n++] = (byte)(0xF0 | (c >> 18));
                    buffer[n++] = (byte)(0x80 | ((c >> 12) & 0x3F));
                    buffer[n++] = (byte)(0x80 | ((c >> 6) & 0x3F));
                    buffer[n++] = (byte)(0x80 | (c & 0x3F));
                }
            }
            return n - at;
        }

        // Decodes UTF-8 (SSIDs may hold any bytes; a broken sequence becomes U+FFFD).
        private static string Utf8(byte[] data, int offset, int count)
        {
            char[] chars = new char[count * 2];
            int n = 0;
            int i = offset;
            int end = offset + count;
            while (i < end)
            {
                int b = data[i];
                int size = b < 0x80 ? 1 : (b & 0xE0) == 0xC0 ? 2 : (b & 0xF0) == 0xE0 ? 3 : (b & 0xF8) == 0xF0 ? 4 : 0;
                if (size == 0 || i + size > end)
                {
                    chars[n++] = (char)0xFFFD;
                    i++;
                    continue;
                }
                int c = size == 1 ? b : size == 2 ? b & 0x1F : size == 3 ? b & 0x0F : b & 0x07;
                bool ok = true;
                for (int k = 1; k < size; k++)
                {
                    int next = data[i + k];
                    if ((next & 0xC0) != 0x80) ok = false;
                    c = (c << 6) | (next & 0x3F);
                }
                if (!ok)
                {
                    chars[n++] = (char)0xFFFD;
                    i++;
                    continue;
                }
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
    }
}
