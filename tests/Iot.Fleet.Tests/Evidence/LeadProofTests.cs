using Iot.Fleet.Ingest;
using Iot.Fleet.Leads;
using Iot.Fleet.Telemetry;
using Xunit;

namespace Iot.Fleet.Tests.Evidence;

/// <summary>A lead says whether the records its windows rest on came with their device's proof.</summary>
public sealed class LeadProofTests
{
    private static EvidenceRecord Record(string? proof, bool evidence = true) =>
        new("GW-1", 1, DateTime.UnixEpoch, 60, 0, evidence, new Dictionary<string, double>(), "1.0", DateTime.UnixEpoch, proof);

    [Fact]
    public void Every_evidence_record_verified_is_verified_some_is_partly_none_is_unproven()
    {
        Assert.Equal(LeadProof.Verified, LeadProof.Of([Record(ProofStatus.Verified), Record(ProofStatus.Verified), Record(null, evidence: false)]));
        Assert.Equal(LeadProof.Partly, LeadProof.Of([Record(ProofStatus.Verified), Record(ProofStatus.Unproven)]));
        Assert.Equal(LeadProof.Unproven, LeadProof.Of([Record(ProofStatus.Unproven), Record(null)]));
        Assert.Equal(LeadProof.Unproven, LeadProof.Of([]));
    }
}
