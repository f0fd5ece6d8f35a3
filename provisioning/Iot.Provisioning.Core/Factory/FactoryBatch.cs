using Iot.Contract.Factory;
using Iot.Contract.Identity;

namespace Iot.Provisioning.Factory;

/// <summary>Makes a run of factory identities: consecutive serials under a prefix, fresh codes, secrets and hotspot passwords.</summary>
public static class FactoryBatch
{
    /// <summary>
    /// Identities for serials start..start+count-1. Refuses ids in <paramref name="takenIds"/> (earlier
    /// factory lists); claim codes are unique within the batch and against <paramref name="takenCodes"/>.
    /// </summary>
    public static List<FactoryIdentity> Generate(string prefix, long start, int count, int digits, DateTimeOffset created,
        IReadOnlySet<string>? takenIds = null, IReadOnlySet<string>? takenCodes = null, Action<int>? progress = null)
    {
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), "count must be at least 1");
        if (start < 0) throw new ArgumentOutOfRangeException(nameof(start), "the first serial cannot be negative");
        if (DeviceId.CheckPrefix(prefix, digits) is { } prefixError) throw new ArgumentException(prefixError, nameof(prefix));
        var last = DeviceId.Format(prefix, start + count - 1, digits);
        if (!DeviceId.IsValid(last) || last.Length != prefix.Length + 1 + digits)
            throw new ArgumentException($"serial {start + count - 1} does not fit in {digits} digits", nameof(count));

        var ids = Enumerable.Range(0, count).Select(i => DeviceId.Format(prefix, start + i, digits)).ToList();
        var reused = ids.Where(id => takenIds?.Contains(id) == true).ToList();
        if (reused.Count > 0)
            throw new ArgumentException($"{reused.Count} id(s) are already in an existing factory list, first {reused[0]}: choose another --start");

        var codes = new HashSet<string>(takenCodes ?? new HashSet<string>());
        var batch = new List<FactoryIdentity>(count);
        foreach (var id in ids)
        {
            string code;
            do code = ClaimCode.Generate(); while (!codes.Add(code));
            batch.Add(new FactoryIdentity(id, code, BootstrapSecret.Generate(), created, HotspotPassword.Generate()));
            progress?.Invoke(batch.Count);
        }
        return batch;
    }
}
