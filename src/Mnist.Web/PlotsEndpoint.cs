using Microsoft.AspNetCore.Http;
using Mnist.Core.Inference;
using Mnist.Core.Reporting;

namespace Mnist.Web;

/// <summary>
/// <c>GET /api/model/plots/{name}.svg</c> (or <c>.png</c>): the served model's pictures
/// (<see cref="RunPlots.Names"/>: curves, confusion, mistakes), read from the run folder that
/// holds its model file. 404 with a problem-details body naming the file when it is absent.
/// </summary>
internal static class PlotsEndpoint
{
    public const string Route = "/api/model/plots/{file}";

    public static IResult Handle(string file, IInferenceEngine engine, HttpContext context)
    {
        var name = Path.GetFileNameWithoutExtension(file);
        var extension = Path.GetExtension(file).ToLowerInvariant();
        var contentType = extension switch
        {
            ".svg" => "image/svg+xml",
            ".png" => "image/png",
            _ => null,
        };
        if (contentType is null || !RunPlots.Names.Contains(name, StringComparer.Ordinal) || name + extension != file)
        {
            return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such picture",
                detail: $"'{file}' is not a picture of the model: the pictures are {string.Join(", ", RunPlots.Names)}, each as .svg or .png.");
        }
        var dir = Path.GetDirectoryName(Path.GetFullPath(engine.Path))!;
        var path = Path.Combine(dir, file);
        if (!File.Exists(path))
        {
            return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Picture not drawn",
                detail: $"{file} is not in the model's run folder {dir}; `mnist report --run {dir}` draws the missing pictures.");
        }
        context.Response.Headers.CacheControl = "no-cache";
        return Results.File(path, contentType);
    }
}
