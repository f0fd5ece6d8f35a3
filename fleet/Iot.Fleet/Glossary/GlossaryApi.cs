namespace Iot.Fleet.Glossary;

/// <summary>Serves the bureau's words to the pages (the one table in BureauWords).</summary>
public static class GlossaryApi
{
    private static readonly string WordsScript = BureauWords.Script();

    public static void MapGlossary(this WebApplication app) =>
        app.MapGet("/assets/words.js", () => Results.Text(WordsScript, "text/javascript; charset=utf-8")).AllowAnonymous();
}
