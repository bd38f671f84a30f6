<%@ Assembly Name="$SharePoint.Project.AssemblyFullName$" %>
<%@ Assembly Name="Microsoft.Web.CommandUI, Version=16.0.0.0, Culture=neutral, PublicKeyToken=71e9bce111e9429c" %>
<%@ Register Tagprefix="SharePoint" Namespace="Microsoft.SharePoint.WebControls" Assembly="Microsoft.SharePoint, Version=16.0.0.0, Culture=neutral, PublicKeyToken=71e9bce111e9429c" %>
<%@ Import Namespace="Microsoft.SharePoint" %>
<%@ Import Namespace="Microsoft.SharePoint.Utilities" %>
<%@ Page Language="C#" AutoEventWireup="true" Inherits="Microsoft.SharePoint.WebControls.LayoutsPageBase" DynamicMasterPageFile="~masterurl/default.master" %>
<%-- Synthetic benign look-alike for Firebreak: an ordinary SharePoint
     application page (LAYOUTS) that reads request parameters. --%>
<script runat="server">
    protected override void OnLoad(EventArgs e)
    {
        base.OnLoad(e);
        string source = Request.QueryString["Source"];
        string list = Request["List"];
        if (!string.IsNullOrEmpty(source) && SPUtility.IsUrlSafeForRedirect(source))
            ViewState["Source"] = source;
        Title.Text = SPHttpUtility.HtmlEncode(SPContext.Current.Web.Title) + " - " + SPHttpUtility.HtmlEncode(list);
    }
</script>
<asp:Content ID="PageHead" ContentPlaceHolderID="PlaceHolderAdditionalPageHead" runat="server">
    <SharePoint:CssRegistration Name="forms.css" runat="server" />
</asp:Content>
<asp:Content ID="Main" ContentPlaceHolderID="PlaceHolderMain" runat="server">
    <asp:Literal ID="Title" runat="server" />
    <SharePoint:FormDigest runat="server" />
</asp:Content>
