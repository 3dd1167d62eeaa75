/// The style sheet and scripts inside every HTML export (``HTMLRenderer``). They load nothing:
/// no fonts, no images, no network.
enum HTMLAssets {
    /// First in `<head>`: records script errors, unhandled rejections and `console.error` calls in
    /// the page's `data-errors` attribute, so a headless browser's DOM dump shows them.
    static let errorCollector = """
        (function(){var errors=[];function note(m){errors.push(String(m));\
        document.documentElement.setAttribute('data-errors',errors.join(' | '));}\
        window.addEventListener('error',function(e){note(e.message||('could not load '+((e.target&&(e.target.src||e.target.href))||'a resource')));},true);\
        window.addEventListener('unhandledrejection',function(e){note('unhandled rejection: '+e.reason);});\
        var original=console.error;console.error=function(){note(Array.prototype.join.call(arguments,' '));\
        return original.apply(console,arguments);};})();
        """

    static let styleSheet = """
        :root{--fg:#1d1f21;--muted:#6a737d;--l0:#2f6fbf;--l1:#b35c00;--l2:#2e8b57;--l3:#8e44ad}
        body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:var(--fg);background:#fff}
        header{padding:12px 20px 8px;border-bottom:1px solid #ddd}
        h1{font-size:20px;margin:0 0 4px}
        .what{margin:0 0 6px;color:#333}
        .scenario{margin:4px 0;font-size:12px}
        .scenario dt,.scenario dd{display:inline;margin:0}
        .scenario dt{font-weight:600}.scenario dt::after{content:"="}
        .scenario dd{margin-right:14px;font-family:ui-monospace,Menlo,monospace}
        .controls{font-size:12px;margin-top:4px}
        .controls button{font:inherit;padding:1px 8px}
        #timeline{position:sticky;top:0;z-index:2;background:#fafafa;border-bottom:1px solid #ddd;display:flex;padding:4px 20px}
        .lane-names{width:64px;font-size:11px;flex:none}
        .lane-name{height:18px;line-height:18px;font-weight:600}
        .ln0{color:var(--l0)}.ln1{color:var(--l1)}.ln2{color:var(--l2)}.ln3{color:var(--l3)}
        #lanes{flex:1;min-width:0;height:72px;cursor:pointer;background:#fff;border:1px solid #e5e5e5}
        .tip{position:fixed;display:none;pointer-events:none;background:#222;color:#fff;font:11px ui-monospace,monospace;padding:2px 6px;border-radius:3px;z-index:3}
        #wire{padding:4px 20px;border-bottom:1px solid #ddd;font-size:12.5px}
        #wire summary{cursor:pointer;font-weight:600}
        .wire{columns:2 32em;margin:4px 0;padding-left:0;list-style:none;font-family:ui-monospace,Menlo,monospace}
        .wire a{display:inline-block;min-width:4.5em;color:var(--muted);text-decoration:none}
        .wire .rep{color:#555}
        main{padding:8px 20px 40px}
        .ev{border-left:4px solid transparent;padding:1px 6px;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12.5px;\
        content-visibility:auto;contain-intrinsic-size:auto 18px}
        .l0{border-color:var(--l0)}.l1{border-color:var(--l1)}.l2{border-color:var(--l2)}.l3{border-color:var(--l3)}
        .plain{padding-left:calc(6px + 1.1em)}
        summary{cursor:pointer}
        .ev>a,.ev>summary>a{display:inline-block;min-width:4em;color:var(--muted);text-decoration:none}
        .ev>b,.ev>summary>b{display:inline-block;min-width:5.5em}
        .l0>b,.l0>summary>b{color:var(--l0)}.l1>b,.l1>summary>b{color:var(--l1)}
        .l2>b,.l2>summary>b{color:var(--l2)}.l3>b,.l3>summary>b{color:var(--l3)}
        .ev>code,.ev>summary>code{font-weight:600}
        .ev i,.mid{font-style:normal;color:var(--muted)}
        .p-send>i,.p-receive>i,.p-send>summary>i,.p-receive>summary>i{color:#c0392b;font-weight:600}
        .p-block>i,.p-wake>i,.p-block>summary>i,.p-wake>summary>i{color:#8e6d00}
        .body{margin:4px 0 10px 5.1em}
        .diff{margin:2px 0;padding-left:1.2em}
        .old{color:#b03030}.new{color:#207a45}
        .buf{margin:6px 0;border:1px solid #e1e4e8;border-radius:4px;padding:4px 8px;background:#fcfcfd}
        .bh{margin-bottom:3px}.bh .id{color:var(--muted)}.prov{color:#555}
        .pane{display:flex;gap:18px;align-items:flex-start;overflow-x:auto}
        .hex{white-space:pre;line-height:1.35;flex:none}
        .hex .o{color:var(--muted)}
        .hex span[data-f]{cursor:default;border-radius:2px}
        .c0{background:#dcebff}.c1{background:#fdebd0}.c2{background:#d9f2e3}.c3{background:#efe0f7}.c4{background:#fff3c4}.c5{background:#f8d9d9}
        .gap{color:var(--muted);font-style:italic}
        .fields{border-collapse:collapse;font-size:12px}
        .fields td{padding:0 6px;border-bottom:1px solid #eee;vertical-align:top}
        .fields td:first-child{color:var(--muted);white-space:nowrap}
        .fields td:nth-child(3){word-break:break-all;min-width:12em}
        .fields tr{cursor:default}
        .hl{background:#ffd54f !important;outline:1px solid #e0a800}
        :target{background:#fff8d6}
        main.only-content .plain{display:none}
        @media print{
          .controls,#timeline,.tip,#wire{display:none}
          body{font-size:10pt}
          main{padding:0}
          .ev{font-size:9pt;content-visibility:visible}
          .buf{break-inside:avoid;background:none}
          summary{list-style:none}
          a{color:inherit;text-decoration:none}
          .hl{background:none !important;outline:none}
          :target{background:none}
        }
        """

    /// Last in `<body>`: draws the timeline, renders a buffer's bytes when its step opens, links
    /// fields and bytes on hover, follows `#event-N`, and opens everything before printing.
    static let script = """
        (function(){
        'use strict';
        var buffers=JSON.parse(document.getElementById('buffers').textContent);
        var main=document.getElementById('events');
        function esc(s){return s.replace(/[&<>"]/g,function(c){return c==='&'?'&amp;':c==='<'?'&lt;':c==='>'?'&gt;':'&quot;';});}
        function pad(n,w){var s=n.toString(16);while(s.length<w)s='0'+s;return s;}
        function renderBuffer(el){
          if(el.getAttribute('data-done'))return;
          el.setAttribute('data-done','1');
          var b=buffers[+el.getAttribute('data-b')];
          var length=b[0],chunks=b[1],spans=b[2];
          var width=Math.max(4,pad(Math.max(0,length-1),1).length);
          function fieldAt(p){var best=-1,size=Infinity;for(var k=0;k<spans.length;k++){var s=spans[k];if(p>=s[0]&&p<s[1]&&s[1]-s[0]<size){best=k;size=s[1]-s[0];}}return best;}
          var hex=[],prev=0;
          for(var c=0;c<chunks.length;c++){
            var off=chunks[c][0],h=chunks[c][1],n=h.length/2;
            if(off>prev)hex.push('<div class="gap">… '+(off-prev)+' bytes not in this page (the JSON export has every byte)</div>');
            var first=Math.floor(off/16),last=Math.floor((off+n-1)/16);
            for(var line=first;line<=last;line++){
              var cells='',ascii='';
              for(var i=0;i<16;i++){
                var p=line*16+i;
                if(p<off||p>=off+n){cells+='   ';ascii+=' ';if(i===7)cells+=' ';continue;}
                var v=parseInt(h.substr((p-off)*2,2),16),f=fieldAt(p);
                var ch=v>=32&&v<127?esc(String.fromCharCode(v)):'.';
                if(f>=0){cells+='<span data-f="'+f+'" class="c'+(f%6)+'">'+h.substr((p-off)*2,2)+'</span> ';ascii+='<span data-f="'+f+'">'+ch+'</span>';}
                else{cells+=h.substr((p-off)*2,2)+' ';ascii+=ch;}
                if(i===7)cells+=' ';
              }
              hex.push('<span class="o">'+pad(line*16,width)+'</span>  '+cells+' '+ascii);
            }
            prev=off+n;
          }
          if(length>prev)hex.push('<div class="gap">… '+(length-prev)+' bytes not in this page</div>');
          if(length===0)hex.push('<span class="gap">(no bytes)</span>');
          var rows=[];
          for(var k=0;k<spans.length;k++){var s=spans[k];
            rows.push('<tr data-f="'+k+'"><td>'+s[0]+'..&lt;'+s[1]+'</td><td class="c'+(k%6)+'">'+esc(s[2])+'</td><td>'+esc(s[3])+'</td><td>'+esc(s[4])+'</td></tr>');}
          var pane=document.createElement('div');pane.className='pane';
          pane.innerHTML='<div class="hex">'+hex.join('\\n')+'</div>'+(rows.length?'<table class="fields"><tbody>'+rows.join('')+'</tbody></table>':'');
          el.appendChild(pane);
        }
        function renderIn(ev){var list=ev.querySelectorAll('.buf');for(var i=0;i<list.length;i++)renderBuffer(list[i]);}
        document.addEventListener('toggle',function(e){var t=e.target;if(t.tagName==='DETAILS'&&t.open)renderIn(t);},true);
        var lit=[];
        document.addEventListener('mouseover',function(e){
          for(var i=0;i<lit.length;i++)lit[i].classList.remove('hl');lit=[];
          var t=e.target.closest?e.target.closest('[data-f]'):null;if(!t)return;
          var buf=t.closest('.buf');if(!buf)return;
          var list=buf.querySelectorAll('[data-f="'+t.getAttribute('data-f')+'"]');
          for(var j=0;j<list.length;j++){list[j].classList.add('hl');lit.push(list[j]);}
        });
        function openEvent(n,scroll){
          var el=document.getElementById('event-'+n);if(!el)return;
          if(el.tagName==='DETAILS'){el.open=true;renderIn(el);}
          if(scroll)el.scrollIntoView({block:'center'});
        }
        function follow(){var m=/^#event-(\\d+)$/.exec(location.hash);if(m)openEvent(+m[1],true);}
        window.addEventListener('hashchange',follow);
        function all(open){var list=main.querySelectorAll('details');for(var i=0;i<list.length;i++)list[i].open=open;}
        document.getElementById('expand').addEventListener('click',function(){all(true);});
        document.getElementById('collapse').addEventListener('click',function(){all(false);});
        document.getElementById('only-content').addEventListener('change',function(e){main.classList.toggle('only-content',e.target.checked);});
        window.addEventListener('beforeprint',function(){var list=main.querySelectorAll('details');for(var i=0;i<list.length;i++){list[i].open=true;renderIn(list[i]);}});
        var canvas=document.getElementById('lanes'),tip=document.getElementById('tip');
        var lanes=canvas.getAttribute('data-lanes'),phases=canvas.getAttribute('data-phases'),count=lanes.length;
        var colors=['#2f6fbf','#b35c00','#2e8b57','#8e44ad'];
        function draw(){
          var ratio=window.devicePixelRatio||1,w=Math.max(1,canvas.clientWidth),h=canvas.clientHeight||72;
          canvas.width=Math.round(w*ratio);canvas.height=Math.round(h*ratio);
          var g=canvas.getContext('2d');if(!g)return;g.setTransform(ratio,0,0,ratio,0,0);g.clearRect(0,0,w,h);
          var laneH=h/4,step=w/Math.max(1,count);
          g.fillStyle='#f0f0f0';for(var l=1;l<4;l+=2)g.fillRect(0,l*laneH,w,laneH);
          for(var i=0;i<count;i++){var l2=+lanes.charAt(i),p=+phases.charAt(i);
            g.fillStyle=colors[l2]||'#555';var wire=p===4||p===5;
            g.globalAlpha=wire?1:0.55;g.fillRect(i*step,l2*laneH+(wire?1:4),Math.max(1,step),laneH-(wire?2:8));}
          g.globalAlpha=1;
        }
        function at(e){var r=canvas.getBoundingClientRect();return Math.min(count,Math.max(1,Math.floor((e.clientX-r.left)/r.width*count)+1));}
        canvas.addEventListener('click',function(e){var n=at(e);location.hash='#event-'+n;});
        canvas.addEventListener('mousemove',function(e){var n=at(e),el=document.getElementById('event-'+n);if(!el)return;
          var fn=el.querySelector('code'),th=el.querySelector('b'),ph=el.querySelector('i');
          tip.textContent='#'+n+' '+(th?th.textContent:'')+' '+(fn?fn.textContent:'')+' '+(ph?ph.textContent:'');
          tip.style.left=(e.clientX+12)+'px';tip.style.top=(e.clientY+12)+'px';tip.style.display='block';});
        canvas.addEventListener('mouseleave',function(){tip.style.display='none';});
        window.addEventListener('resize',draw);
        draw();follow();
        document.documentElement.setAttribute('data-ready-ms',String(Math.round(performance.now())));
        document.documentElement.setAttribute('data-ready','true');
        })();
        """
}
