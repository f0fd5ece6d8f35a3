namespace Iot.Stack;

/// <summary>Where the repository and its build outputs are, from wherever this code runs.</summary>
public static class RepositoryPaths
{
    /// <summary>The folder holding Iot.sln: $IOT_ROOT, or the nearest parent of this assembly that has it.</summary>
    public static string Root()
    {
        if (Environment.GetEnvironmentVariable("IOT_ROOT") is { Length: > 0 } root && File.Exists(Path.Combine(root, "Iot.sln"))) return root;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Iot.sln"))) return dir.FullName;
        throw new InvalidOperationException("cannot find Iot.sln above " + AppContext.BaseDirectory + "; set IOT_ROOT");
    }

    /// <summary>Debug or Release: the configuration this code was built in.</summary>
    public static string Configuration() =>
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";

    /// <summary>The built fleet service, in the same configuration as the caller.</summary>
    public static string FleetAssembly() => Built("fleet/Iot.Fleet", "Iot.Fleet.dll");

    /// <summary>A project's built assembly; fails with a hint when it has not been built.</summary>
    public static string Built(string projectFolder, string assembly)
    {
        var path = Path.Combine(Root(), projectFolder, "bin", Configuration(), "net10.0", assembly);
        return File.Exists(path) ? path : throw new FileNotFoundException($"{path} is not built; run `dotnet build Iot.sln -c {Configuration()}`", path);
    }
}
