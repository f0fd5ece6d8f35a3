using System.Reflection;
using System.Text;

namespace Iot.Firmware.Model;

/// <summary>
/// The gateway's managed heap on the chosen module (hardware/bill-of-materials.md: ESP32-WROVER-E-N8R8 with the
/// ESP32_PSRAM_REV3 image). nanoCLR puts the managed heap in PSRAM when there is some (nf-interpreter,
/// targets/ESP32/_nanoCLR/Memory.cpp): of the 4 MiB the ESP32 maps we count on 2 MiB, leaving the rest to ESP-IDF's
/// Wi-Fi and lwIP buffers. Without PSRAM the heap is about 110 KB.
/// <para>
/// LongLivedBytes walks the object graph of the portable core from a root (fields, then array elements; platform
/// adapters and fakes, whose assemblies are not the core's, are left out) and sizes each object the way nanoCLR
/// stores it: every object field and reference-array element is a 12-byte heap block, an object or array has a
/// 12-byte header (arrays 8 more for their length and type), primitive arrays are packed, strings are UTF-8.
/// </para>
/// </summary>
public static class HeapBudget
{
    /// <summary>Managed heap counted on with PSRAM.</summary>
    public const int PsramHeapBytes = 2 * 1024 * 1024;
    /// <summary>Managed heap of a module without PSRAM (ESP32_REV0 on a WROOM-32).</summary>
    public const int InternalHeapBytes = 110 * 1024;
    /// <summary>Largest firmware bundle a download may stage (firmware/Gateway.Esp32/Program.cs, BundleBytes): the loader's image bound.</summary>
    public const int MaxBundleBytes = 512 * 1024;

    private const int HeapBlock = 12;
    private const int ArrayHeader = HeapBlock + 8;
    private static readonly Assembly Core = typeof(Iot.Gateway.Runtime.GatewayRuntime).Assembly;

    /// <summary>Bytes the core's objects reachable from root take on nanoCLR (an estimate; see the type's summary).</summary>
    public static long LongLivedBytes(object root)
    {
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<object>();
        pending.Push(root);
        long bytes = 0;
        while (pending.Count > 0)
        {
            object o = pending.Pop();
            if (!seen.Add(o)) continue;
            switch (o)
            {
                case string s:
                    bytes += ArrayHeader + Encoding.UTF8.GetByteCount(s);
                    continue;
                case Array a when a.GetType().GetElementType()!.IsPrimitive:
                    bytes += ArrayHeader + (long)a.Length * System.Runtime.InteropServices.Marshal.SizeOf(a.GetType().GetElementType()!);
                    continue;
                case Array a:
                    bytes += ArrayHeader + (long)a.Length * HeapBlock;
                    foreach (object? e in a) if (e is not null) pending.Push(e);
                    continue;
            }
            var type = o.GetType();
            if (type.Assembly != Core) continue; // a platform adapter: measured on the device, not here
            for (var t = type; t is not null && t != typeof(object); t = t.BaseType)
            {
                foreach (var f in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                {
                    bytes += HeapBlock;
                    if (f.FieldType.IsValueType) continue;
                    if (f.GetValue(o) is { } value and not Delegate) pending.Push(value);
                }
            }
            bytes += HeapBlock;
        }
        return bytes;
    }

    /// <summary>The budget as lines of text: long-lived, largest transient and the loader's image against both heaps.</summary>
    public static IEnumerable<string> Report(long longLived, long transient, int appImage)
    {
        long total = longLived + transient + MaxBundleBytes;
        yield return $"heap budget: long-lived {longLived:N0} B (core objects from the runtime with updates on), largest transient {transient:N0} B " +
                     $"(allocated during an update's download, checks and switch), loader image ≤ {MaxBundleBytes:N0} B (staging limit)";
        yield return $"  with PSRAM (ESP32-WROVER-E, {PsramHeapBytes:N0} B counted on): {total:N0} B, {100.0 * total / PsramHeapBytes:0} % " +
                     (total <= PsramHeapBytes ? "— fits" : "— DOES NOT FIT");
        long small = longLived + transient + appImage;
        yield return $"  without PSRAM ({InternalHeapBytes:N0} B) even a {appImage:N0} B app image would need {small:N0} B, {100.0 * small / InternalHeapBytes:0} % " +
                     (small <= InternalHeapBytes ? "— would fit" : "— would not fit: why the module has PSRAM");
    }
}
