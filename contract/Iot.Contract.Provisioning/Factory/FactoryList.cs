using System.Globalization;
using Iot.Contract.Identity;

namespace Iot.Contract.Factory;

/// <summary>
/// factory-list.csv: <c>id,claim_code,bootstrap_secret,created,ap_password</c>. It holds every gateway's bootstrap
/// secret, so it is written readable by its owner only and goes to the fleet (ids, codes and secrets only), nowhere else.
/// <c>ap_password</c>, the setup hotspot's password on the label, came later: lists without the column (or with it
/// empty) are still read, their gateways have none.
/// </summary>
public static class FactoryList
{
    public const string FileName = "factory-list.csv";
    public static readonly IReadOnlyList<string> Columns = ["id", "claim_code", "bootstrap_secret", "created", HotspotPasswordColumn];

    /// <summary>The hotspot password's column, named as its device.json key.</summary>
    public const string HotspotPasswordColumn = Onboarding.DeviceJson.HotspotPassword;

    public static string Format(IEnumerable<FactoryIdentity> identities)
    {
        var lines = new List<string> { CsvTable.FormatRecord(Columns) };
        lines.AddRange(identities.Select(i => CsvTable.FormatRecord(
            [i.Id, i.ClaimCode, i.BootstrapSecret, i.Created.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture), i.HotspotPassword ?? ""])));
        return string.Join("\n", lines) + "\n";
    }

    /// <summary>Writes a new file with mode 0600; never replaces an existing one.</summary>
    public static void Write(string path, IEnumerable<FactoryIdentity> identities)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using var stream = new FileStream(path, options);
        using var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(false));
        writer.Write(Format(identities));
    }

    /// <summary>Reads a factory list, checking every row; the identities are returned only if all rows are good.</summary>
    public static List<FactoryIdentity> Read(CsvTable table, out List<RowError> errors)
    {
        errors = [.. table.CheckHeader(["id", "claim_code", "bootstrap_secret"], ["created", HotspotPasswordColumn])];
        var identities = new List<FactoryIdentity>();
        if (errors.Count > 0) return identities;
        var seenIds = new Dictionary<string, int>();
        var seenCodes = new Dictionary<string, int>();
        foreach (var row in table.Rows)
        {
            var rowErrors = errors.Count;
            var id = table.Value(row, "id");
            if (!DeviceId.IsValid(id)) errors.Add(new(table.File, row.Row, "id", $"'{id}' is not a valid device id ({DeviceId.Pattern})"));
            else if (seenIds.TryGetValue(id, out var first)) errors.Add(new(table.File, row.Row, "id", $"{id} already appears in row {first}"));
            else seenIds[id] = row.Row;
            var code = ClaimCode.Normalize(table.Value(row, "claim_code"), out var codeError);
            if (code is null) errors.Add(new(table.File, row.Row, "claim_code", codeError));
            else if (seenCodes.TryGetValue(code, out var firstCode)) errors.Add(new(table.File, row.Row, "claim_code", $"same claim code as row {firstCode}"));
            else seenCodes[code] = row.Row;
            var secret = table.Value(row, "bootstrap_secret");
            if (!BootstrapSecret.IsWellFormed(secret))
                errors.Add(new(table.File, row.Row, "bootstrap_secret", $"not a bootstrap secret ({BootstrapSecret.TextLength} base64url characters)"));
            var createdText = table.Value(row, "created");
            var created = DateTimeOffset.MinValue;
            if (createdText.Length > 0 && !DateTimeOffset.TryParse(createdText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out created))
                errors.Add(new(table.File, row.Row, "created", $"'{createdText}' is not a date and time"));
            var password = table.Value(row, HotspotPasswordColumn); // empty: an older list, or a gateway without one
            if (password.Length > 0 && !HotspotPassword.IsValid(password))
                errors.Add(new(table.File, row.Row, HotspotPasswordColumn,
                    $"not a hotspot password ({Onboarding.SetupHotspot.MinPassword} to {Onboarding.SetupHotspot.MaxPassword} printable ASCII characters, no spaces)"));
            if (errors.Count == rowErrors) identities.Add(new FactoryIdentity(id, code!, secret, created, password.Length > 0 ? password : null));
        }
        return errors.Count == 0 ? identities : [];
    }
}
