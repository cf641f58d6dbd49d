using System.Buffers;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;
using System.Text.Json;
using Mnist.Core.Inference;
using Mnist.Core.Infrastructure;

namespace Mnist.Web;

/// <summary>
/// <c>POST /api/predict</c>: a PNG or JPEG body, or a multipart form with the file field
/// <c>image</c>. Every way a request can be wrong gets its own status and a problem-details body
/// that says why: 415 wrong content type, 413 too large (body or dimensions), 400 undecodable
/// or no <c>image</c> field, 422 no ink.
/// </summary>
internal static class PredictEndpoint
{
    public const string FormField = "image";
    private static readonly string[] ImageTypes = ["image/png", "image/jpeg", "image/jpg"];

    public static async Task<IResult> Handle(HttpContext context, InferenceQueue inference, ServeOptions options)
    {
        var request = context.Request;
        var max = options.MaxBodyBytes;
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType))
        {
            return Problem(StatusCodes.Status415UnsupportedMediaType, "Unsupported content type",
                $"Content-Type '{request.ContentType}' is not supported: send image/png or image/jpeg, or multipart/form-data with a file field '{FormField}'.");
        }
        var type = mediaType.MediaType.Value?.ToLowerInvariant();
        byte[]? image;
        try
        {
            if (type is not null && ImageTypes.Contains(type))
            {
                if (request.ContentLength > max) return TooLarge(request.ContentLength.Value, max);
                image = await ReadLimited(request.Body, max, context.RequestAborted, request.ContentLength);
                if (image is null) return TooLarge(null, max);
            }
            else if (type == "multipart/form-data")
            {
                if (request.ContentLength > max + WebApp.MultipartAllowance) return TooLarge(request.ContentLength.Value, max);
                context.Features.Set<IFormFeature>(new FormFeature(request, new FormOptions
                {
                    MultipartBodyLengthLimit = max + WebApp.MultipartAllowance,
                    ValueCountLimit = 16,
                }));
                var form = await request.ReadFormAsync(context.RequestAborted);
                var file = form.Files.GetFile(FormField);
                if (file is null)
                {
                    return Problem(StatusCodes.Status400BadRequest, "No image in the form",
                        $"The multipart form has no file field '{FormField}' (fields: {string.Join(", ", form.Keys.Concat(form.Files.Select(f => f.Name)).Distinct().DefaultIfEmpty("none"))}).");
                }
                if (file.Length > max) return TooLarge(file.Length, max);
                await using var stream = file.OpenReadStream();
                image = await ReadLimited(stream, max, context.RequestAborted);
                if (image is null) return TooLarge(null, max);
            }
            else
            {
                return Problem(StatusCodes.Status415UnsupportedMediaType, "Unsupported content type",
                    $"Content-Type '{type}' is not supported: send image/png or image/jpeg, or multipart/form-data with a file field '{FormField}'.");
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TooLarge(null, max);
        }
        catch (BadHttpRequestException e)
        {
            // A body cut short or malformed framing: the client's fault, said plainly.
            return Problem(e.StatusCode, "Bad request body", e.Message);
        }
        catch (EndOfStreamException)
        {
            return Problem(StatusCodes.Status400BadRequest, "Bad request body", "The body ended before its declared Content-Length.");
        }
        catch (InvalidDataException e)
        {
            // The form reader's own limits, or a malformed multipart body.
            return e.Message.Contains("limit", StringComparison.OrdinalIgnoreCase)
                ? TooLarge(null, max)
                : Problem(StatusCodes.Status400BadRequest, "Malformed form", $"The multipart body could not be read: {e.Message}");
        }

        try
        {
            var input = ImagePreprocessor.FromEncoded(image, options.ImageLimits);
            var prediction = await inference.PredictAsync(input, context.RequestAborted);
            // The one prediction contract, and the 28x28 input the model saw.
            var answer = prediction.ToJson();
            answer["input"] = JsonSerializer.SerializeToNode(input, Json.Compact);
            return Results.Content(answer.ToJsonString(Json.Compact), "application/json; charset=utf-8");
        }
        catch (ImageRejectedException e)
        {
            return e.Problem switch
            {
                ImageProblem.NoInk => Problem(StatusCodes.Status422UnprocessableEntity, "No digit in the image", e.Message),
                ImageProblem.TooLarge => Problem(StatusCodes.Status413PayloadTooLarge, "Image too large", e.Message),
                _ => Problem(StatusCodes.Status400BadRequest, "Undecodable image", e.Message),
            };
        }
    }

    private static IResult TooLarge(long? length, long max) =>
        Problem(StatusCodes.Status413PayloadTooLarge, "Request body too large",
            length is { } n
                ? $"The body is {n} bytes; the server's limit is {max} bytes."
                : $"The body is over the server's limit of {max} bytes.");

    private static IResult Problem(int status, string title, string detail) =>
        Results.Problem(detail: detail, statusCode: status, title: title);

    /// <summary>Reads at most <paramref name="max"/> bytes; null when the stream holds more.</summary>
    private static async Task<byte[]?> ReadLimited(Stream stream, long max, CancellationToken cancellation, long? length = null)
    {
        if (length is { } declared && declared <= max)
        {
            // The usual case: the length is declared, so the body is read into an array of its size.
            var body = new byte[declared];
            await stream.ReadExactlyAsync(body, cancellation);
            return await stream.ReadAsync(new byte[1], cancellation) == 0 ? body : null;
        }
        using var buffer = new MemoryStream();
        var chunk = ArrayPool<byte>.Shared.Rent(16384);
        try
        {
            int read;
            while ((read = await stream.ReadAsync(chunk, cancellation)) > 0)
            {
                if (buffer.Length + read > max) return null;
                buffer.Write(chunk, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
        return buffer.ToArray();
    }
}
