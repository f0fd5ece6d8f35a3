namespace Iot.Hj212;

/// <summary>Joins split packets (Flag bit1, PNUM/PNO) of one upload, keyed by (MN, QN, CN). Bounded: a packet whose
/// parts do not all arrive within <c>timeout</c>, or beyond <c>maxPending</c> uploads, is dropped.</summary>
public sealed class Hj212Reassembler(Hj212Dialect? dialect = null, TimeSpan? timeout = null, int maxPending = 64)
{
    readonly Hj212Dialect dialect = dialect ?? Hj212Dialect.Default;
    readonly TimeSpan timeout = timeout ?? TimeSpan.FromMinutes(2);
    readonly Dictionary<(string?, string?, string?), Pending> pending = new();

    sealed record Pending(DateTimeOffset Started, Hj212Packet?[] Parts);

    /// <summary>The whole packet when <paramref name="part"/> completes one (or is not split); null while parts are missing.</summary>
    public Hj212Packet? Add(Hj212Packet part, DateTimeOffset now)
    {
        if (part.Pnum is not { } total || part.Pno is not { } no) return part;
        if (total == 1) return part with { Pnum = null, Pno = null };
        foreach (var stale in pending.Where(kv => now - kv.Value.Started > timeout).Select(kv => kv.Key).ToList()) pending.Remove(stale);
        var key = (part.Mn, part.Qn, part.Cn);
        if (!pending.TryGetValue(key, out var entry) || entry.Parts.Length != total)
        {
            if (pending.Count >= maxPending) pending.Remove(pending.MinBy(kv => kv.Value.Started).Key);
            entry = new Pending(now, new Hj212Packet?[total]);
            pending[key] = entry;
        }
        entry.Parts[no - 1] = part;
        if (entry.Parts.Any(p => p is null)) return null;
        pending.Remove(key);
        var cp = string.Join(dialect.SplitJoin, entry.Parts.Select(p => p!.Cp.Text));
        var first = entry.Parts[0]!;
        return first with
        {
            Pnum = null, Pno = null, Flag = first.Flag is { } f ? new Hj212Flag(f.Value & ~2) : null,
            Cp = Hj212Cp.Parse(cp), Segment = string.Join("\r\n", entry.Parts.Select(p => p!.Segment)),
        };
    }

    public int PendingCount => pending.Count;
}
