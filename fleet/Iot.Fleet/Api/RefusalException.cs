
namespace Iot.Fleet.Api;

/// <summary>
/// The fleet's one way to refuse a request: thrown wherever the refusal is found (an endpoint, a store, a validator)
/// and answered by the one problem handler (<see cref="HttpSecurity"/>) as application/problem+json with
/// <see cref="Status"/>, the status's title and the message as `detail`. Stores throw it too, so a refusal found
/// inside a transaction rolls the transaction back on its way out.
/// </summary>
public sealed class RefusalException(string detail, int status = StatusCodes.Status400BadRequest) : Exception(detail)
{
    /// <summary>The HTTP status that says why: 400 bad input, 403 not this caller, 404 missing, 409 the state forbids
    /// it, 410 expired, 422 well-formed but not acceptable, 429 too many.</summary>
    public int Status { get; } = status;

    /// <summary>404 with the fleet's usual wording, "no site S1".</summary>
    public static RefusalException NotFound(string what, object id) => new($"no {what} {id}", StatusCodes.Status404NotFound);

    public static RefusalException Conflict(string detail) => new(detail, StatusCodes.Status409Conflict);

    public static RefusalException Forbidden(string detail) => new(detail, StatusCodes.Status403Forbidden);
}
