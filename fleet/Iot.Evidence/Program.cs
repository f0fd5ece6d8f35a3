namespace Iot.Evidence;

/// <summary>iot-evidence verify BUNDLE.zip [--key PUBKEY|--key-file FILE] [--device-key DEV=HEX]; see <see cref="EvidenceCli"/>.
/// A named class, not top-level statements: the fleet references this assembly and has its own global Program.</summary>
public static class Program
{
    public static Task<int> Main(string[] args) => EvidenceCli.Create(Console.Out, Console.Error).Parse(args).InvokeAsync();
}
