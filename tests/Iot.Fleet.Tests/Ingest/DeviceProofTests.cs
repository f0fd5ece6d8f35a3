using Iot.Fleet.Evidence;
using Iot.Fleet.Tests.Evidence;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using FsCheck;
using FsCheck.Fluent;
using Iot.Fleet.Ingest;
using Iot.Fleet.Storage;
using Iot.Fleet.Telemetry;
using Microsoft.Extensions.Options;
using Xunit;

namespace Iot.Fleet.Tests.Ingest;

/// <summary>The `mac` of a telemetry envelope: its form (parser), its check against the device's evidence key, and the
/// proof kept with the raw message and read back.</summary>
public sealed class DeviceProofUnitTests : IDisposable
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1795000800);
    private const string Body = """{"v":1,"dev":"NS-0001","fw":"1.0.0","boot":1,"recs":[{"seq":1,"t":1795000020,"dur":60,"q":0,"m":{"laeq":61.5}}]""";
    private readonly string _dir = Directory.CreateTempSubdirectory("iot-proof-").FullName;
    private readonly FleetDatabase _database;
    private readonly DeviceKeys _keys;

    public DeviceProofUnitTests()
    {
        _database = new FleetDatabase(Iot.Testing.TestDatabase.For(_dir));
        _database.Migrate();
        _keys = new DeviceKeys(_database, Options.Create(new DeviceProofOptions()), TimeProvider.System);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private static byte[] Signed(byte[] key, string body = Body) =>
        Encoding.UTF8.GetBytes(body + $",\"mac\":\"{Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(body)))}\"}}");

    private static string Reject(string json) =>
        Assert.Throws<RejectedMessageException>(() => MessageParser.ParseTelemetry("NS-0001", Encoding.UTF8.GetBytes(json), Now)).Message;

    [Theory]
    [InlineData(",\"mac\":42}", "not a string")]
    [InlineData(",\"mac\":null}", "not a string")]
    [InlineData(",\"mac\":[\"00\"]}", "not a string")]
    [InlineData(",\"mac\":\"abcd\"}", "not 64 lower-case hex")]
    [InlineData(",\"mac\":\"ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789\"}", "not 64 lower-case hex")]
    [InlineData(",\"mac\":\"zzcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789\"}", "not 64 lower-case hex")]
    [InlineData(",\"mac\":\"abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789\",\"x\":1}", "last member")]
    [InlineData(", \"mac\":\"abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789\"}", "last member")]
    [InlineData(",\"mac\":\"abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789\" }", "last member")]
    [InlineData(",\"mac\":\"abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789\",\"mac\":\"abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789\"}", "more than once")]
    [InlineData(",\"m\\u0061c\":\"abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789\"}", "last member")]
    public void A_malformed_mac_is_a_clear_rejection(string tail, string reason) => Assert.Contains(reason, Reject(Body + tail));

    [Fact]
    public void Any_mac_value_is_rejected_or_read_never_a_crash()
    {
        Prop.ForAll(ArbMap.Default.ArbFor<string>().Generator.Select(s => s ?? "").ToArbitrary(), s =>
        {
            var json = Body + ",\"mac\":" + System.Text.Json.JsonSerializer.Serialize(s) + "}";
            try
            {
                var envelope = MessageParser.ParseTelemetry("NS-0001", Encoding.UTF8.GetBytes(json), Now);
                return envelope.Mac == s && s.Length == 64;
            }
            catch (RejectedMessageException)
            {
                return true;
            }
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void The_right_key_verifies_and_anything_else_fails()
    {
        var key = _keys.Issue("NS-0001", "test");
        var payload = Signed(key.Key);
        var envelope = MessageParser.ParseTelemetry("NS-0001", payload, Now);
        var proof = _keys.Verify("NS-0001", payload, envelope.Mac is not null);
        Assert.Equal(new MessageProof(ProofStatus.Verified, envelope.Mac, key.Id, Body.Length), proof);

        Assert.Throws<ProofFailedException>(() => _keys.Verify("NS-0001", Signed(RandomNumberGenerator.GetBytes(32)), true));
        var altered = (byte[])payload.Clone();
        altered[Body.IndexOf("61.5", StringComparison.Ordinal)] = (byte)'9';
        Assert.Throws<ProofFailedException>(() => _keys.Verify("NS-0001", altered, true));
        Assert.Throws<ProofFailedException>(() => _keys.Verify("NS-0001", Encoding.UTF8.GetBytes(Body + "}"), false));
        // A new key retires the old one: what the old key signs fails from now on.
        _keys.Issue("NS-0001", "test");
        Assert.Throws<ProofFailedException>(() => _keys.Verify("NS-0001", payload, true));
    }

    [Fact]
    public void Without_a_key_a_message_is_unproven_unless_the_policy_rejects_it()
    {
        Assert.Equal(MessageProof.Unproven, _keys.Verify("NS-0009", Encoding.UTF8.GetBytes(Body + "}"), false));
        Assert.Throws<ProofFailedException>(() => _keys.Verify("NS-0009", Signed(RandomNumberGenerator.GetBytes(32)), true));
        var strict = new DeviceKeys(_database, Options.Create(new DeviceProofOptions { RejectUnproven = true }), TimeProvider.System);
        Assert.Throws<ProofFailedException>(() => strict.Verify("NS-0009", Encoding.UTF8.GetBytes(Body + "}"), false));
    }

    // A signed envelope of NS-0001 verified and stored, as the ingest does.
    private (EvidenceKey Key, byte[] Payload, RecordJournal Journal) StoreSigned()
    {
        var key = _keys.Issue("NS-0001", "test");
        var payload = Signed(key.Key);
        var envelope = MessageParser.ParseTelemetry("NS-0001", payload, Now);
        var journal = new RecordJournal(_database, new RawMessageStore(_database, Path.Combine(_dir, "raw")));
        journal.Store([new AcceptedTelemetry("iot/v1/NS-0001/telemetry", payload, envelope, "S1") { Proof = _keys.Verify("NS-0001", payload, true) }], [], [], [], Now);
        return (key, payload, journal);
    }

    [Fact]
    public void The_proof_is_stored_with_the_raw_message_and_checks_again_from_it()
    {
        var (key, payload, journal) = StoreSigned();

        var message = journal.MessageOf("NS-0001", 1)!;
        Assert.Equal(payload, message.Payload);
        Assert.Equal(ProofStatus.Verified, message.Proof!.Status);
        Assert.Equal(key.Id, message.Proof.KeyId);
        Assert.True(_keys.Recheck(message));
        Assert.Equal(message.Proof, journal.Message(message.Id)!.Proof);
        Assert.Null(journal.MessageOf("NS-0001", 2));
        var proofs = journal.ProofsBetween("NS-0001", 1795000020, 1795000080);
        Assert.Equal(ProofStatus.Verified, Assert.Single(proofs).Value!.Status);
        Assert.Empty(journal.ProofsBetween("NS-0001", 1795000080, 1795000200));


        // A payload changed in the database no longer checks; nor does a proof moved to another device's message.
        using (var connection = _database.Open())
            connection.Execute("UPDATE messages SET payload = @p WHERE id = @id", new { p = payload.Select(b => b == (byte)'5' ? (byte)'6' : b).ToArray(), id = message.Id });
        Assert.False(_keys.Recheck(journal.Message(message.Id)!));
        Assert.False(_keys.Recheck(message with { Topic = "iot/v1/NS-0002/telemetry" }));
    }

    [Fact]
    public void A_message_moved_into_a_segment_keeps_its_proof_and_still_checks()
    {
        var (_, payload, journal) = StoreSigned();
        var hot = journal.MessageOf("NS-0001", 1)!;

        Assert.Equal(1, new RawMessageStore(_database, Path.Combine(_dir, "raw")).Compact(Now.AddHours(1)).Messages);

        var moved = journal.MessageOf("NS-0001", 1)!;
        Assert.Equal(payload, moved.Payload);
        Assert.Equal(hot.Proof, moved.Proof);
        Assert.True(_keys.Recheck(moved));
        Assert.Equal(ProofStatus.Verified, Assert.Single(journal.ProofsBetween("NS-0001", 1795000020, 1795000080)).Value!.Status);
        Assert.Single(new StoredDeviceProofs(new RawMessageStore(_database, Path.Combine(_dir, "raw"))).ForMessages([moved.Id]));
    }

    [Fact]
    public void A_stored_proof_goes_into_the_bundle_and_the_offline_verifier_recomputes_it_with_the_device_key()
    {
        var (key, payload, journal) = StoreSigned();
        var message = journal.MessageOf("NS-0001", 1)!;

        var proof = Assert.Single(new StoredDeviceProofs(new RawMessageStore(_database, Path.Combine(_dir, "raw"))).ForMessages([message.Id, message.Id + 1000]));
        Assert.Equal("NS-0001", proof.Device);
        Assert.StartsWith(Iot.Evidence.ProofsFormat.EnvelopePrefixScope, proof.Scope);

        var signing = EvidenceBundleTests.TestKeys(Path.Combine(_dir, "evidence"));
        var sources = EvidenceBundleTests.Sources() with
        {
            Messages = [new BundleMessage(message.Id, message.Topic, message.Payload, message.ReceivedAt.ToUnixTimeMilliseconds())],
        };
        var deviceKeys = new Dictionary<string, byte[]> { ["NS-0001"] = key.Key };
        var trusted = new[] { Convert.FromBase64String(signing.Current.PublicKey) };
        var zip = EvidenceExport.Zip(EvidenceExport.Files(sources with { Proofs = [proof] }, signing), Now);
        var verdict = Iot.Evidence.BundleVerifier.Verify(new MemoryStream(zip), new Iot.Evidence.VerifyOptions(trusted, deviceKeys));
        Assert.True(verdict.Holds, string.Join("\n", verdict.Checks));
        Assert.Contains(verdict.Checks, c => c.Subject == "proofs.json" && c.Detail.Contains("1 recomputed offline"));

        // Another device's key does not make the proof hold; a scope that cuts the payload elsewhere is refused.
        var otherKey = new Dictionary<string, byte[]> { ["NS-0001"] = _keys.Issue("NS-0002", "test").Key };
        Assert.False(Iot.Evidence.BundleVerifier.Verify(new MemoryStream(zip), new Iot.Evidence.VerifyOptions(trusted, otherKey)).Holds);
        var cut = EvidenceExport.Zip(EvidenceExport.Files(sources with { Proofs = [proof with { Scope = Iot.Evidence.ProofsFormat.EnvelopePrefixScope + "10" }] }, signing), Now);
        var refused = Iot.Evidence.BundleVerifier.Verify(new MemoryStream(cut), new Iot.Evidence.VerifyOptions(trusted, deviceKeys));
        Assert.Contains(refused.Failures, f => f.Detail.Contains("does not end in the MAC"));
    }
}
