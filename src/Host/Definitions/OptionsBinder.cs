using System.Collections;
using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using Newtonsoft.Json.Linq;
using Pipeline.Options;

namespace Pipeline.Host.Definitions;

/// <summary>
/// Binds a JSON object to a plugin's options class (see <see cref="OptionsConventions"/>) and writes the
/// bound options back with every default filled in. Every error names the JSON path and line.
/// </summary>
public static class OptionsBinder
{
    /// <summary>Binds <paramref name="json"/> (keys in <paramref name="ignore"/> skipped) to a new instance of <paramref name="type"/>.</summary>
    public static object Bind(Type type, JObject json, string owner, params string[] ignore)
    {
        var instance = Activator.CreateInstance(type)
            ?? throw new InvalidOperationException($"cannot create options {type}");
        var properties = Settable(type).ToDictionary(p => OptionsConventions.JsonName(p.Name), StringComparer.Ordinal);

        foreach (var prop in json.Properties())
        {
            if (ignore.Contains(prop.Name)) continue;
            if (!properties.TryGetValue(prop.Name, out var target))
            {
                var known = properties.Keys.Order().ToList();
                string list = known.Count == 0 ? "it takes no options" : "known options: " + string.Join(", ", known);
                throw DefinitionError.At(prop, $"unknown option '{prop.Name}' for {owner}.{NameSuggester.Hint(prop.Name, known)} ({list})");
            }
            target.SetValue(instance, Convert(prop.Value, target.PropertyType, $"option '{prop.Name}' of {owner}"));
        }

        foreach (var (name, p) in properties)
        {
            if (p.GetCustomAttribute<RequiredAttribute>() is not null && json[name] is null)
                throw DefinitionError.At(json, $"{owner} needs option '{name}'{DescribeSuffix(p)}", JoinPath(json, name));
        }

        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(instance, new ValidationContext(instance), results, validateAllProperties: true))
        {
            var first = results[0];
            var member = first.MemberNames.FirstOrDefault();
            string? key = member is null ? null : OptionsConventions.JsonName(member);
            JToken? at = key is null ? json : (JToken?)json.Property(key) ?? json;
            string path = key is null ? DefinitionError.PathOf(json) : JoinPath(json, key);
            throw DefinitionError.At(at, $"{owner}: {first.ErrorMessage}", path);
        }
        return instance;
    }

    public static T Bind<T>(JObject json, string owner, params string[] ignore) where T : class =>
        (T)Bind(typeof(T), json, owner, ignore);

    /// <summary>
    /// Replaces each file option of bound <paramref name="options"/> (a string property marked
    /// <see cref="FilePathAttribute"/>, default or given) by its absolute path, recorded in <paramref name="files"/>.
    /// </summary>
    public static void ResolveFiles(object options, JObject json, FileLedger files)
    {
        foreach (var p in Settable(options.GetType()))
        {
            if (p.GetCustomAttribute<FilePathAttribute>() is not { } attribute || p.PropertyType != typeof(string)) continue;
            if (p.GetValue(options) is not string { Length: > 0 } path || string.IsNullOrWhiteSpace(path)) continue;
            p.SetValue(options, files.Resolve(path, attribute, json, OptionsConventions.JsonName(p.Name)));
        }
    }

    /// <summary>The options as JSON with every property, defaults included (the "resolved" form).</summary>
    public static JObject Write(object options)
    {
        var o = new JObject();
        foreach (var p in Settable(options.GetType()))
            o[OptionsConventions.JsonName(p.Name)] = ToJson(p.GetValue(options));
        return o;
    }

    public static IEnumerable<PropertyInfo> Settable(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && p.CanRead && p.GetIndexParameters().Length == 0);

    public static string? Describe(PropertyInfo p) => p.GetCustomAttribute<DescriptionAttribute>()?.Description;

    public static string EnumJson(object value) =>
        OptionsConventions.EnumName(Enum.GetName(value.GetType(), value) ?? value.ToString()!);

    static string DescribeSuffix(PropertyInfo p) => Describe(p) is { } d ? $" ({d})" : "";

    static string JoinPath(JObject parent, string key) => DefinitionError.PathOf(parent) + "." + key;

    /// <summary>
    /// A value as a definition writes it: enums by their JSON names, lists as arrays, dictionaries with their keys as
    /// given, other objects (options classes, anonymous objects) with each readable property under its JSON name.
    /// </summary>
    public static JToken ToJson(object? value) => value switch
    {
        null => JValue.CreateNull(),
        JToken token => token.DeepClone(),
        System.Text.Json.Nodes.JsonObject node => JObject.Parse(node.ToJsonString()),
        Enum e => new JValue(EnumJson(e)),
        string s => new JValue(s),
        bool b => new JValue(b),
        IDictionary map => new JObject(map.Keys.Cast<object>().Select(k => new JProperty(System.Convert.ToString(k, CultureInfo.InvariantCulture)!, ToJson(map[k])))),
        IEnumerable list => new JArray(list.Cast<object?>().Select(ToJson)),
        _ when value.GetType().IsPrimitive || value is decimal => new JValue(value),
        _ => new JObject(value.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanRead && p.GetIndexParameters().Length == 0)
            .Select(p => new JProperty(OptionsConventions.JsonName(p.Name), ToJson(p.GetValue(value))))),
    };

    static object? Convert(JToken token, Type type, string what)
    {
        var underlying = Nullable.GetUnderlyingType(type);
        if (token.Type == JTokenType.Null)
        {
            if (underlying is not null || !type.IsValueType) return null;
            throw DefinitionError.At(token, $"{what} cannot be null; expected {TypeName(type)}");
        }
        type = underlying ?? type;

        if (type == typeof(string))
            return token.Type == JTokenType.String ? (string)token! : throw Wrong(token, type, what);
        if (type == typeof(bool))
            return token.Type == JTokenType.Boolean ? (bool)token : throw Wrong(token, type, what);
        if (type == typeof(double) || type == typeof(float))
        {
            if (token.Type is not (JTokenType.Float or JTokenType.Integer)) throw Wrong(token, type, what);
            double d = (double)token;
            return type == typeof(float) ? (float)d : d;
        }
        if (type == typeof(int) || type == typeof(long))
        {
            // A whole number written as 1e6 is an integer; the value is read from a copy so errors still point at the written token.
            var value = token;
            if (token.Type == JTokenType.Float && (double)token is var f && f == Math.Floor(f) && Math.Abs(f) < 9e15)
                value = new JValue((long)f);
            if (value.Type != JTokenType.Integer) throw Wrong(token, type, what);
            var big = System.Numerics.BigInteger.Parse(((JValue)value).ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
            if (type == typeof(int) && (big < int.MinValue || big > int.MaxValue) || big < long.MinValue || big > long.MaxValue)
                throw DefinitionError.At(token, $"{what} is {big}, out of range for {TypeName(type)} ({(type == typeof(int) ? $"{int.MinValue}..{int.MaxValue}" : $"{long.MinValue}..{long.MaxValue}")}); give a smaller value");
            return type == typeof(int) ? (object)(int)big : (long)big;
        }
        if (type.IsEnum)
        {
            if (token.Type != JTokenType.String) throw Wrong(token, type, what);
            string s = (string)token!;
            foreach (var name in Enum.GetNames(type))
                if (OptionsConventions.EnumName(name) == s || string.Equals(name, s, StringComparison.OrdinalIgnoreCase)
                    || string.Equals(name, s.Replace("_", "").Replace("-", ""), StringComparison.OrdinalIgnoreCase))
                    return Enum.Parse(type, name);
            var names = Enum.GetNames(type).Select(OptionsConventions.EnumName).ToList();
            throw DefinitionError.At(token, $"{what} has unknown value '{s}'.{NameSuggester.Hint(s, names)} (allowed: {string.Join(", ", names)})");
        }
        // A plugin definition { "type", ...options } that the plugin hands to the host to build (an optimizer's solvers).
        if (type == typeof(System.Text.Json.Nodes.JsonObject))
        {
            if (token is not JObject definition || definition["type"] is not JValue { Type: JTokenType.String })
                throw DefinitionError.At(token, $"{what} must be a plugin definition {{ \"type\": \"...\", ...options }}");
            return System.Text.Json.Nodes.JsonNode.Parse(definition.ToString())!.AsObject();
        }
        if (type.IsArray || type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>))
        {
            var element = type.IsArray ? type.GetElementType()! : type.GetGenericArguments()[0];
            if (token is not JArray array) throw Wrong(token, type, what);
            var items = array.Select((t, i) => Convert(t, element, $"{what}[{i}]")).ToList();
            if (type.IsArray)
            {
                var result = Array.CreateInstance(element, items.Count);
                for (int i = 0; i < items.Count; i++) result.SetValue(items[i], i);
                return result;
            }
            var listValue = (IList)Activator.CreateInstance(type)!;
            foreach (var item in items) listValue.Add(item);
            return listValue;
        }
        if (type.IsClass && type.GetConstructor(Type.EmptyTypes) is not null && token is JObject nested)
            return Bind(type, nested, what);
        throw new InvalidOperationException($"options property type {type} is not supported");
    }

    static PipelineInputException Wrong(JToken token, Type type, string what) =>
        DefinitionError.At(token, $"{what} must be {TypeName(type)}, not {Describe(token)}");

    static string Describe(JToken token) => token.Type switch
    {
        JTokenType.String => $"the string \"{token}\"",
        JTokenType.Object => "an object",
        JTokenType.Array => "an array",
        _ => $"{token.Type.ToString().ToLowerInvariant()} {token.ToString(Newtonsoft.Json.Formatting.None)}",
    };

    static string Plural(Type element)
    {
        element = Nullable.GetUnderlyingType(element) ?? element;
        if (element.IsArray || element.IsGenericType) return "arrays";
        if (element == typeof(string)) return "strings";
        if (element == typeof(bool)) return "booleans";
        if (element == typeof(double) || element == typeof(float)) return "numbers";
        if (element == typeof(int) || element == typeof(long)) return "integers";
        return element.IsEnum ? "names" : "objects";
    }

    public static string TypeName(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(string)) return "a string";
        if (type == typeof(bool)) return "true or false";
        if (type == typeof(double) || type == typeof(float)) return "a number";
        if (type == typeof(int) || type == typeof(long)) return "an integer";
        if (type.IsEnum) return "one of " + string.Join(", ", Enum.GetNames(type).Select(n => $"\"{OptionsConventions.EnumName(n)}\""));
        if (type.IsArray) return "an array of " + Plural(type.GetElementType()!);
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>)) return "an array of " + Plural(type.GetGenericArguments()[0]);
        return "an object";
    }
}
