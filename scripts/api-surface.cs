// Counts the public surface of an assembly from its metadata alone (no loading, so no dependency has to resolve):
// visible types (public, or nested public / protected in a visible type) and their visible members (public or
// protected methods, constructors, fields, properties, events; property and event accessors count once, through
// their property or event). Usage: dotnet run scripts/api-surface.cs -- path/to/Assembly.dll
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

if (args.Length != 1) { Console.Error.WriteLine("usage: api-surface <assembly.dll>"); return 2; }
using var stream = File.OpenRead(args[0]);
using var pe = new PEReader(stream);
var md = pe.GetMetadataReader();

bool Visible(TypeDefinitionHandle h)
{
    var t = md.GetTypeDefinition(h);
    var v = t.Attributes & TypeAttributes.VisibilityMask;
    if (v == TypeAttributes.Public) return true;
    if (v is TypeAttributes.NestedPublic or TypeAttributes.NestedFamily or TypeAttributes.NestedFamORAssem)
        return Visible(t.GetDeclaringType());
    return false;
}

static bool VisibleMethod(MethodAttributes a) =>
    (a & MethodAttributes.MemberAccessMask) is MethodAttributes.Public or MethodAttributes.Family or MethodAttributes.FamORAssem;

int types = 0, members = 0;
foreach (var h in md.TypeDefinitions)
{
    if (!Visible(h)) continue;
    types++;
    var t = md.GetTypeDefinition(h);
    var accessors = new HashSet<MethodDefinitionHandle>();
    foreach (var p in t.GetProperties())
    {
        var a = md.GetPropertyDefinition(p).GetAccessors();
        bool visible = false;
        foreach (var m in new[] { a.Getter, a.Setter })
            if (!m.IsNil) { accessors.Add(m); visible |= VisibleMethod(md.GetMethodDefinition(m).Attributes); }
        if (visible) members++;
    }
    foreach (var e in t.GetEvents())
    {
        var a = md.GetEventDefinition(e).GetAccessors();
        bool visible = false;
        foreach (var m in new[] { a.Adder, a.Remover, a.Raiser })
            if (!m.IsNil) { accessors.Add(m); visible |= VisibleMethod(md.GetMethodDefinition(m).Attributes); }
        if (visible) members++;
    }
    foreach (var m in t.GetMethods())
        if (!accessors.Contains(m) && VisibleMethod(md.GetMethodDefinition(m).Attributes)) members++;
    foreach (var f in t.GetFields())
    {
        var a = md.GetFieldDefinition(f).Attributes & FieldAttributes.FieldAccessMask;
        if (a is FieldAttributes.Public or FieldAttributes.Family or FieldAttributes.FamORAssem) members++;
    }
}
Console.WriteLine($"{Path.GetFileName(args[0])}: {types} public types, {members} public members");
return 0;
