using Iot.Firmware.Tests.Fakes;
using Iot.Gateway.Modbus;

namespace Iot.Firmware.Tests;

public class ModbusRtuMasterTests
{
    private readonly FakeClock _clock = new();

    [Fact]
    public void Crc_of_the_reference_request_is_C5_CD()
    {
        // 01 03 00 00 00 0A -> CRC C5 CD (low byte first on the wire), the classic reference frame.
        var frame = new byte[8];
        int length = ModbusRtuMaster.BuildReadRequest(frame, 1, 0x03, 0x0000, 10);
        Assert.Equal(8, length);
        Assert.Equal(new byte[] { 0x01, 0x03, 0x00, 0x00, 0x00, 0x0A, 0xC5, 0xCD }, frame);
    }

    [Fact]
    public void Crc_matches_published_check_value()
    {
        // CRC-16/MODBUS check value: CRC of ASCII "123456789" is 0x4B37.
        var data = "123456789"u8.ToArray();
        Assert.Equal(0x4B37, ModbusCrc.Compute(data, 0, data.Length));
        Assert.True(ModbusCrc.IsValid(ModbusSlaveFrames.WithCrc(0x11, 0x03, 0x02, 0x00, 0x2A), 7));
    }

    [Fact]
    public void Reads_holding_registers_and_sends_the_exact_request()
    {
        var link = new ScriptedSerialLink(_clock);
        link.Reply(ModbusSlaveFrames.ReadResponse(1, 0x03, 0x02A9, 0xFFFE));
        var master = new ModbusRtuMaster(link, _clock, 200, 2);
        var regs = new ushort[2];

        Assert.Equal(ModbusStatus.Ok, master.ReadRegisters(1, 0x03, 0x0000, 2, regs));
        Assert.Equal(new ushort[] { 0x02A9, 0xFFFE }, regs);
        Assert.Equal(new byte[] { 0x01, 0x03, 0x00, 0x00, 0x00, 0x02, 0xC4, 0x0B }, link.Requests.Single());
    }

    [Fact]
    public void Reassembles_a_response_that_arrives_in_pieces()
    {
        var link = new ScriptedSerialLink(_clock) { ChunkSize = 2 };
        link.Reply(ModbusSlaveFrames.ReadResponse(7, 0x04, 1, 2, 3));
        var master = new ModbusRtuMaster(link, _clock, 200, 0);
        var regs = new ushort[3];

        Assert.Equal(ModbusStatus.Ok, master.ReadRegisters(7, 0x04, 0x0010, 3, regs));
        Assert.Equal(new ushort[] { 1, 2, 3 }, regs);
    }

    [Fact]
    public void Exception_response_is_reported_with_its_code_and_not_retried()
    {
        var link = new ScriptedSerialLink(_clock);
        link.Reply(ModbusSlaveFrames.Exception(1, 0x03, 0x02));
        var master = new ModbusRtuMaster(link, _clock, 200, 3);

        Assert.Equal(ModbusStatus.SlaveException, master.ReadRegisters(1, 0x03, 0x0100, 4, new ushort[4]));
        Assert.Equal(2, master.LastExceptionCode);
        Assert.Single(link.Requests);
    }

    [Fact]
    public void Silence_is_retried_then_reported_as_timeout()
    {
        var link = new ScriptedSerialLink(_clock);
        var master = new ModbusRtuMaster(link, _clock, 150, 2);

        Assert.Equal(ModbusStatus.Timeout, master.ReadRegisters(1, 0x03, 0, 1, new ushort[1]));
        Assert.Equal(3, link.Requests.Count);
        Assert.Equal(3, master.LastAttempts);
    }

    [Fact]
    public void Bad_crc_is_retried_and_a_good_answer_wins()
    {
        var link = new ScriptedSerialLink(_clock);
        var corrupt = ModbusSlaveFrames.ReadResponse(1, 0x03, 0x1234);
        corrupt[3] ^= 0x01;
        link.Reply(corrupt);
        link.Reply(ModbusSlaveFrames.ReadResponse(1, 0x03, 0x1234));
        var master = new ModbusRtuMaster(link, _clock, 200, 1);
        var regs = new ushort[1];

        Assert.Equal(ModbusStatus.Ok, master.ReadRegisters(1, 0x03, 0, 1, regs));
        Assert.Equal(0x1234, regs[0]);
        Assert.Equal(2, master.LastAttempts);
    }

    [Fact]
    public void Rejects_wrong_slave_wrong_function_and_wrong_byte_count()
    {
        var link = new ScriptedSerialLink(_clock);
        var master = new ModbusRtuMaster(link, _clock, 200, 0);

        link.Reply(ModbusSlaveFrames.ReadResponse(2, 0x03, 5));
        Assert.Equal(ModbusStatus.WrongSlave, master.ReadRegisters(1, 0x03, 0, 1, new ushort[1]));

        link.Reply(ModbusSlaveFrames.ReadResponse(1, 0x04, 5));
        Assert.Equal(ModbusStatus.WrongFunction, master.ReadRegisters(1, 0x03, 0, 1, new ushort[1]));

        // Right length for one register, but the byte count field claims 4 bytes.
        link.Reply(ModbusSlaveFrames.WithCrc(0x01, 0x03, 0x04, 0x00, 0x05));
        Assert.Equal(ModbusStatus.BadFrame, master.ReadRegisters(1, 0x03, 0, 1, new ushort[1]));
    }

    [Fact]
    public void Keeps_three_and_a_half_characters_of_silence_between_frames()
    {
        var link = new ScriptedSerialLink(_clock, baudRate: 4800);
        link.Reply(ModbusSlaveFrames.ReadResponse(1, 0x03, 1));
        link.Reply(ModbusSlaveFrames.ReadResponse(1, 0x03, 2));
        var master = new ModbusRtuMaster(link, _clock, 200, 0);

        master.ReadRegisters(1, 0x03, 0, 1, new ushort[1]);
        master.ReadRegisters(1, 0x03, 0, 1, new ushort[1]);

        Assert.Equal(9, ModbusRtuMaster.SilenceMs(4800)); // 3.5 * 11 bits / 4800 baud = 8.02 ms, rounded up
        Assert.True(link.WriteTimesMs[1] - link.WriteTimesMs[0] >= 9 + 1);
        Assert.Equal(2, ModbusRtuMaster.SilenceMs(115200));
    }

    [Fact]
    public void Writes_single_and_multiple_registers()
    {
        var link = new ScriptedSerialLink(_clock);
        var master = new ModbusRtuMaster(link, _clock, 200, 0);

        link.Reply(ModbusSlaveFrames.WithCrc(0x01, 0x06, 0x00, 0x20, 0x00, 0x02));
        Assert.Equal(ModbusStatus.Ok, master.WriteRegister(1, 0x0020, 2));
        Assert.Equal(ModbusSlaveFrames.WithCrc(0x01, 0x06, 0x00, 0x20, 0x00, 0x02), link.Requests[0]);

        link.Reply(ModbusSlaveFrames.WithCrc(0x01, 0x10, 0x00, 0x30, 0x00, 0x02));
        Assert.Equal(ModbusStatus.Ok, master.WriteRegisters(1, 0x0030, new ushort[] { 0x0102, 0x0304 }, 2));
        Assert.Equal(ModbusSlaveFrames.WithCrc(0x01, 0x10, 0x00, 0x30, 0x00, 0x02, 0x04, 0x01, 0x02, 0x03, 0x04), link.Requests[1]);
    }

    [Fact]
    public void Refuses_invalid_requests_without_touching_the_bus()
    {
        var link = new ScriptedSerialLink(_clock);
        var master = new ModbusRtuMaster(link, _clock, 200, 0);
        Assert.Equal(ModbusStatus.InvalidRequest, master.ReadRegisters(1, 0x03, 0, 126, new ushort[126]));
        Assert.Equal(ModbusStatus.InvalidRequest, master.ReadRegisters(1, 0x05, 0, 1, new ushort[1]));
        Assert.Equal(ModbusStatus.InvalidRequest, master.ReadRegisters(1, 0x03, 0, 4, new ushort[2]));
        Assert.Empty(link.Requests);
    }

    [Fact]
    public void Random_replies_never_throw_and_never_pass_as_valid()
    {
        Prop.ForAll<byte[], int>((reply, chunk) =>
        {
            var clock = new FakeClock();
            var link = new ScriptedSerialLink(clock) { ChunkSize = 1 + Math.Abs(chunk % 7) };
            link.Reply(reply);
            var master = new ModbusRtuMaster(link, clock, 100, 0);
            var regs = new ushort[2];
            var status = master.ReadRegisters(1, 0x03, 0, 2, regs);
            // Only a frame that really is a valid answer may be accepted.
            bool genuinelyValid = reply is { Length: >= 9 } && reply[0] == 1 && reply[1] == 3 && reply[2] == 4 && ModbusCrc.IsValid(reply, 9);
            return status != ModbusStatus.Ok || genuinelyValid;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void A_transaction_allocates_nothing()
    {
        var clock = new SteppingClock();
        var link = new LoopbackSlave(ModbusSlaveFrames.ReadResponse(1, 0x03, 10, 20, 30));
        var master = new ModbusRtuMaster(link, clock, 200, 0);
        var regs = new ushort[3];
        var statuses = new ModbusStatus[100];
        master.ReadRegisters(1, 0x03, 0, 3, regs);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < statuses.Length; i++) statuses[i] = master.ReadRegisters(1, 0x03, 0, 3, regs);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.All(statuses, s => Assert.Equal(ModbusStatus.Ok, s));
        Assert.Equal(new ushort[] { 10, 20, 30 }, regs);
    }

    /// <summary>A clock whose Sleep just moves time on, without recording anything.</summary>
    private sealed class SteppingClock : Iot.Gateway.Hardware.IClock
    {
        public long UtcSeconds => 1_795_000_000;
        public bool IsSynchronized => true;
        public long MonotonicMs { get; private set; }
        public void Sleep(int milliseconds) => MonotonicMs += milliseconds;
    }

    /// <summary>A slave that answers every request with the same frame, without allocating.</summary>
    private sealed class LoopbackSlave(byte[] reply) : Iot.Gateway.Hardware.ISerialLink
    {
        private int _position = reply.Length;
        public int BaudRate => 9600;
        public void DiscardInput() { }
        public void Write(byte[] buffer, int offset, int count) => _position = 0;
        public int Read(byte[] buffer, int offset, int count, int timeoutMs)
        {
            int n = Math.Min(count, reply.Length - _position);
            Array.Copy(reply, _position, buffer, offset, n);
            _position += n;
            return n;
        }
    }
}
