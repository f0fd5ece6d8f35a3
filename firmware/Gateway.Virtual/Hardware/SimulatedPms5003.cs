using Iot.Gateway.Hardware;

namespace Iot.Gateway.Virtual.Hardware;

/// <summary>
/// A Plantower PMS5003 on a simulated UART in active mode: one 32-byte frame per second (Emit), read back by the
/// firmware's Pms5003Parser. While Silent, nothing arrives.
/// </summary>
public sealed class SimulatedPms5003 : ISerialLink
{
    private readonly byte[] _frame = new byte[32];
    private int _available;
    private int _readAt;

    public int BaudRate => 9600;

    public bool Silent { get; set; }

    /// <summary>Sends this second's frame with the atmospheric PM2.5 and PM10, µg/m³.</summary>
    public void Emit(double pm25, double pm10)
    {
        if (Silent) return;
        int p25 = (int)Math.Clamp(Math.Round(pm25), 0, 65535), p10 = (int)Math.Clamp(Math.Round(pm10), 0, 65535);
        ReadOnlySpan<int> words = [p25 / 2, p25, p10, p25 / 2, p25, p10, 0, 0, 0, 0, 0, 0, 0];
        _frame[0] = 0x42;
        _frame[1] = 0x4D;
        _frame[2] = 0;
        _frame[3] = 28;
        for (int i = 0; i < words.Length; i++)
        {
            _frame[4 + 2 * i] = (byte)(words[i] >> 8);
            _frame[5 + 2 * i] = (byte)words[i];
        }
        int sum = 0;
        for (int i = 0; i < 30; i++) sum += _frame[i];
        _frame[30] = (byte)(sum >> 8);
        _frame[31] = (byte)sum;
        _available = _frame.Length;
        _readAt = 0;
    }

    public void DiscardInput() => _available = _readAt = 0;

    public void Write(byte[] buffer, int offset, int count)
    {
    }

    public int Read(byte[] buffer, int offset, int count, int timeoutMs)
    {
        int n = Math.Min(count, _available - _readAt);
        if (n <= 0) return 0;
        Array.Copy(_frame, _readAt, buffer, offset, n);
        _readAt += n;
        return n;
    }
}
