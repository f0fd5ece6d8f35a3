using Iot.Gateway.Hardware;
using Iot.Gateway.Modbus;

namespace Iot.Firmware.Tests.Fakes;

/// <summary>
/// A Modbus RTU slave on the line: parses each read request (CRC checked) and answers from its registers,
/// or stays silent while Silent is set, so the master's timeouts and retries run for real.
/// </summary>
public sealed class FakeModbusMeter(byte slave = 1, int baudRate = 9600) : ISerialLink
{
    private readonly Queue<byte> _pending = new();

    public ushort[] Holding { get; } = new ushort[64];
    public ushort[] Input { get; } = new ushort[64];
    public bool Silent { get; set; }
    public int Requests { get; private set; }
    public int BaudRate => baudRate;

    /// <summary>The noise transmitter's level, dB(A) (holding register 0 in 0.1 dB).</summary>
    public double NoiseLevel { set => Holding[0] = (ushort)Math.Round(value * 10); }

    public void DiscardInput() => _pending.Clear();

    public void Write(byte[] buffer, int offset, int count)
    {
        Requests++;
        var frame = buffer.AsSpan(offset, count).ToArray();
        if (Silent || count != 8 || frame[0] != slave || !ModbusCrc.IsValid(frame, 8)) return;
        var bank = frame[1] == ModbusRtuMaster.ReadHoldingRegisters ? Holding : frame[1] == ModbusRtuMaster.ReadInputRegisters ? Input : null;
        if (bank is null) return;
        int start = (frame[2] << 8) | frame[3], n = (frame[4] << 8) | frame[5];
        foreach (var b in ModbusSlaveFrames.ReadResponse(slave, frame[1], bank.Skip(start).Take(n).ToArray())) _pending.Enqueue(b);
    }

    public int Read(byte[] buffer, int offset, int count, int timeoutMs)
    {
        int n = 0;
        while (n < count && _pending.Count > 0) buffer[offset + n++] = _pending.Dequeue();
        return n;
    }
}

/// <summary>A meter line that answers every request with the same prebuilt frame, allocating nothing.</summary>
public sealed class FixedReplyLink(byte[] reply) : ISerialLink
{
    private int _at = -1;
    public int BaudRate => 9600;
    public void DiscardInput() => _at = -1;
    public void Write(byte[] buffer, int offset, int count) => _at = 0;
    public int Read(byte[] buffer, int offset, int count, int timeoutMs)
    {
        if (_at < 0) return 0;
        int n = Math.Min(count, reply.Length - _at);
        Array.Copy(reply, _at, buffer, offset, n);
        _at += n;
        return n;
    }
}
