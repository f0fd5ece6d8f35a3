using System.Data.Common;

namespace Iot.Fleet.Audit;

/// <summary>Endpoint metadata: this write is recorded in the audit log as <paramref name="Action"/> (e.g. `site.create`).</summary>
public sealed record AuditedMetadata(string Action);

/// <summary>Endpoint metadata: this POST/PUT/PATCH/DELETE changes nothing worth auditing (login, logout); says why.</summary>
public sealed record NotAuditedMetadata(string Reason);

/// <summary>The audit entry a write is building: the handler says what it changed (subject, before, after);
/// <see cref="AuditedEndpoints"/> writes it once the handler has succeeded, unless the handler wrote it
/// inside its own transaction with <see cref="WriteIn"/>.</summary>
public sealed class AuditScope(AuditLog log, AuditActor actor, string action)
{
    public AuditActor Actor { get; } = actor;
    public string Action { get; } = action;

    /// <summary>What changed, as `kind:id` (`site:S1`, `person:li.wei`); the request path when left empty.</summary>
    public string? Subject { get; set; }
    public object? Before { get; set; }
    public object? After { get; set; }
    public string? Note { get; set; }
    public bool Written { get; private set; }

    /// <summary>Says what the write changed; returns the scope for chaining.</summary>
    public AuditScope Describe(string subject, object? before, object? after, string? note = null)
    {
        Subject = subject;
        Before = before;
        After = after;
        Note = note ?? Note;
        return this;
    }

    /// <summary>Writes the entry inside the caller's database transaction (the change and its entry commit together).</summary>
    public void WriteIn(DbConnection connection, DbTransaction tx)
    {
        if (Written) throw new InvalidOperationException($"the audit entry for {Action} is already written");
        log.Write(connection, tx, Actor, Action, Subject ?? throw new InvalidOperationException($"{Action}: say the subject before writing"), Before, After, Note);
        Written = true;
    }

    /// <summary>Writes the entry on its own (after a change that was committed elsewhere).</summary>
    internal void Write(string fallbackSubject)
    {
        if (Written) return;
        log.Record(Actor, Action, Subject ?? fallbackSubject, Before, After, Note);
        Written = true;
    }

    /// <summary>The scope of the current request; only endpoints marked <c>.Audited(…)</c> have one.</summary>
    public static AuditScope Of(HttpContext http) =>
        http.Items.TryGetValue(typeof(AuditScope), out var scope) && scope is AuditScope s
            ? s
            : throw new InvalidOperationException($"{http.Request.Method} {http.Request.Path} is not marked .Audited(…)");

    /// <summary>A scope for the fleet's own writes (no request).</summary>
    public static AuditScope ForSystem(AuditLog log, string actor, string action) => new(log, AuditActor.System(actor), action);
}

/// <summary>`.Audited("site.create")` on write endpoints; `.NotAudited("why")` on the few writes that change
/// nothing. tests/Iot.Fleet.Tests/People/AuditCoverageTests fails when a write endpoint has neither.</summary>
public static class AuditedEndpoints
{
    /// <summary>Records the write in the audit log when the handler answers 2xx: actor from the signed-in user,
    /// subject/before/after from <see cref="AuditScope.Of"/> (after defaults to the handler's answer value).</summary>
    public static TBuilder Audited<TBuilder>(this TBuilder builder, string action) where TBuilder : IEndpointConventionBuilder
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(action);
        builder.WithMetadata(new AuditedMetadata(action));
        builder.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var scope = new AuditScope(http.RequestServices.GetRequiredService<AuditLog>(), AuditActor.Of(http.User), action);
            http.Items[typeof(AuditScope)] = scope;
            var answer = await next(context);
            // A handler typed as Results<Created<T>, ValidationProblem> answers with one of them inside.
            var result = answer is INestedHttpResult nested ? nested.Result : answer;
            if (Succeeded(result, http))
            {
                if (scope.After is null && result is IValueHttpResult { Value: { } value } && !scope.Written) scope.After = value;
                // The change is committed; an entry that cannot be written fails the request loudly (500) rather than silently.
                scope.Write(http.Request.Path);
            }
            return answer;
        });
        return builder;
    }

    /// <summary>Marks a POST/PUT/PATCH/DELETE that changes no fleet data; <paramref name="reason"/> says why.</summary>
    public static TBuilder NotAudited<TBuilder>(this TBuilder builder, string reason) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new NotAuditedMetadata(reason));

    private static bool Succeeded(object? result, HttpContext http) => result switch
    {
        IStatusCodeHttpResult { StatusCode: { } code } => code is >= 200 and < 300,
        IResult => http.Response.StatusCode is >= 200 and < 300,
        _ => true, // a plain value is serialized as 200
    };
}
