using System.CommandLine;

namespace Iot.Provisioning;

/// <summary>
/// --fleet and --token, shared by the commands that talk to the fleet. Both fall back to environment
/// variables so the token need not appear in the shell history.
/// </summary>
internal sealed class FleetOptions
{
    public const string UrlVariable = "IOT_FLEET_URL";
    public const string TokenVariable = "IOT_FLEET_TOKEN";

    public Option<string?> Url { get; } = new("--fleet")
    {
        Description = $"The fleet's address, e.g. https://fleet.example.gov.cn (default: ${UrlVariable})",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable(UrlVariable),
    };

    public Option<string?> Token { get; } = new("--token")
    {
        Description = $"Your fleet token (default: ${TokenVariable}; prefer the variable, a token on the command line stays in the shell history)",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable(TokenVariable),
    };

    public void AddTo(Command command)
    {
        command.Add(Url);
        command.Add(Token);
    }

    /// <summary>A client for the fleet named on the command line, or an explanation of what is missing.</summary>
    public FleetClient Connect(ParseResult parsed)
    {
        var url = parsed.GetValue(Url);
        var token = parsed.GetValue(Token);
        if (string.IsNullOrWhiteSpace(url)) throw new FleetException($"say which fleet: --fleet URL (or set {UrlVariable})");
        if (!Uri.TryCreate(url.EndsWith('/') ? url : url + "/", UriKind.Absolute, out var fleet) || fleet.Scheme is not ("http" or "https"))
            throw new FleetException($"--fleet '{url}' is not an http(s) address");
        if (string.IsNullOrWhiteSpace(token)) throw new FleetException($"a fleet token is needed: --token T (or set {TokenVariable})");
        return new FleetClient(fleet, token);
    }
}
